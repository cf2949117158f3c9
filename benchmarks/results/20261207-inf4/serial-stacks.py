import re,collections,sys,subprocess
out=subprocess.run(["go","tool","pprof","-traces",sys.argv[1],sys.argv[2]],capture_output=True,text=True).stdout
blocks=out.split('-----------+-------------------------------------------------------')
c=collections.Counter(); tot=0; ser=0
for b in blocks:
    lines=[l for l in b.strip().split('\n') if l.strip()]
    if not lines: continue
    m=re.match(r'\s*([\d.]+)(ms|s)\s+(.*)',lines[0])
    if not m: continue
    v=float(m.group(1))*(1 if m.group(2)=='ms' else 1000)
    frames=[m.group(3).strip()]+[l.strip() for l in lines[1:]]
    tot+=v
    s=' '.join(frames)
    if 'Benchmark' not in s or 'job).work' in s or 'parallel.poll' in s or 'spinner' in s or 'models.New' in s or 'FillUniform' in s: continue
    ser+=v
    fr=[f.split('/')[-1][:60] for f in frames if 'autonl' in f][:int(sys.argv[3]) if len(sys.argv)>3 else 4]
    c[' < '.join(fr)]+=v
print('total',tot,'serial',ser)
for k,v in c.most_common(40): print(f'{v:6.0f} {k}')
