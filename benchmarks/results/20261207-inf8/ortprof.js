'use strict';
const path = require('path');
const ort = require(require.resolve('onnxruntime-node', { paths: ['/work/wt-inf8/interop'] }));
async function main() {
  const [file, batchArg] = process.argv.slice(2);
  const batch = Number(batchArg || 8), size = 224;
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: '/tmp/inf8/ortprof/p' + batch,
  });
  const n = batch * 3 * size * size, data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = s / 2147483648 - 1; }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, size, size]) };
  const times = [];
  for (let i = 0; i < 13; i++) { const t0 = process.hrtime.bigint(); await session.run(feeds); times.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  console.log(times.map(t => t.toFixed(2)).join(' '));
  console.log(session.endProfiling ? await session.endProfiling() : 'no endProfiling');
}
main().catch(e => { console.error(e); process.exit(1); });
