# usage: ortprof.py PROFILE.json: ONNX Runtime's per-node kernel times (ortprof.js, enableProfiling),
# runs after the first 3, per run: totals by operator and the slowest nodes with their shapes
# (channels padded to 16 where the graph runs in NCHWc blocks).
import json, sys, collections
ev = json.load(open(sys.argv[1]))
runs = [e for e in ev if e.get('cat') == 'Session' and e['name'] == 'model_run']
print(len(runs), 'runs, ms:', [round(r['dur'] / 1000, 2) for r in runs])
t0 = runs[3]['ts']; nr = len(runs) - 3
nodes = [e for e in ev if e.get('cat') == 'Node' and e['name'].endswith('_kernel_time') and e['ts'] >= t0]
byop, bynode, info = collections.defaultdict(float), collections.defaultdict(float), {}
for e in nodes:
    op = e['args'].get('op_name'); byop[op] += e['dur'] / nr / 1000; bynode[e['name']] += e['dur'] / nr / 1000
    info[e['name']] = (op, e['args'].get('input_type_shape'), e['args'].get('output_type_shape'))
tot = sum(byop.values()); print('node time per run %.2f ms' % tot)
for k, v in sorted(byop.items(), key=lambda x: -x[1]): print('  %-20s %7.3f ms %5.1f%%' % (k, v, 100 * v / tot))
print('slowest nodes, ms per run:')
for k, v in sorted(bynode.items(), key=lambda x: -x[1])[:30]:
    op, i, o = info[k]
    print('  %7.3f %-12s %s -> %s' % (v, op, [list(d.values())[0] for d in i] if i else '', [list(d.values())[0] for d in o] if o else ''))
