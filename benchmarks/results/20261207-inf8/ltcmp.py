import re,sys
txt=open(sys.argv[1]).read()
parts=txt.split('wall per pass')
def parse(p):
    d={}
    for l in p.split('total')[0].splitlines():
        m=re.match(r'\s*([\d.]+) ms/pass\s+[\d.]+%\s+x(\d+)\s+(\S+) n\d+ (.*)',l)
        if m: d[m.group(3)+' '+m.group(4)]=float(m.group(1))
    return d
b1=parse(parts[1]); b8=parse(parts[2])
rows=[]
for k in b8:
    v1=b1.get(k,0)/40; v8=b8[k]/40; rows.append((v8-v1,k,v1,v8))
print("  b1x8    b8   diff (ms per 8 images)")
for r in sorted(rows,reverse=True): print("%6.2f %6.2f %6.2f  %s"%(r[2],r[3],r[0],r[1]))
print(sum(b1.values())/40, sum(b8.values())/40)
