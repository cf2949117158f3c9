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
    # key: first frame outside runtime/vec/gemm kernels that is in tensor/autograd/nn
    key=None
    for f in frames:
        if re.search(r'autonl/(tensor|autograd|nn|lightnl|models)\.',f): key=f.split('/')[-1][:70]; break
    c[key]+=v
print('total',tot,'serial (caller, outside parallel jobs)',ser)
for k,v in c.most_common(25): print(f'{v:6.0f} {k}')
