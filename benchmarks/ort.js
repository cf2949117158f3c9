// Times inference of ONNX models in ONNX Runtime (npm's onnxruntime-node,
// CPU), the inference engine a deployer would pick, beside our
// BenchmarkMobileNetV2 and BenchmarkAutoNLS:
//
//   node benchmarks/ort.js THREADS NAME=FILE.onnx[@SIZE] ...
//
// For each model, batch 1 and 8 of SIZE×SIZE images (224 by default): a
// session with THREADS intra-op threads (1 inter-op thread, sequential
// execution) and every graph optimization, 3 warm-up runs, then the
// median of 10 timed runs, printed as
//
//   NAME/224x224_n8/inference/ort   23.812 ms   335.97 images/s
//
// which table.py reads beside the Go and PyTorch results. The models must
// have a symbolic batch dimension (autonl export -batch 0, the default).
// onnxruntime-node is resolved from interop/node_modules (interop/install.sh
// installs it).
'use strict';

const path = require('path');
const ort = require(require.resolve('onnxruntime-node', { paths: [path.join(__dirname, '..', 'interop')] }));

async function main() {
  const [threadsArg, ...models] = process.argv.slice(2);
  const threads = Number(threadsArg);
  if (!(threads >= 1) || models.length === 0) {
    console.error('usage: node benchmarks/ort.js THREADS NAME=FILE.onnx[@SIZE] ...');
    process.exit(2);
  }
  const pkg = require(require.resolve('onnxruntime-node/package.json', { paths: [path.join(__dirname, '..', 'interop')] }));
  console.log(`# onnxruntime-node ${pkg.version}, ${threads} intra-op threads, graphOptimizationLevel all, median of 10 runs after 3`);
  for (const spec of models) {
    const m = spec.match(/^([^=]+)=(.+?)(?:@(\d+))?$/);
    if (!m) throw new Error(`bad model argument ${spec}: want NAME=FILE.onnx[@SIZE]`);
    const [, name, file, sizeArg] = m;
    const size = Number(sizeArg || 224);
    const session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    for (const batch of [1, 8]) {
      const n = batch * 3 * size * size;
      const data = new Float32Array(n);
      let s = 12345;
      for (let i = 0; i < n; i++) { // uniform in [-1, 1), from a fixed LCG
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        data[i] = s / 2147483648 - 1;
      }
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, size, size]) };
      for (let i = 0; i < 3; i++) await session.run(feeds);
      const times = [];
      for (let i = 0; i < 10; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      const ms = (times[4] + times[5]) / 2;
      const label = `${name}/${size}x${size}_n${batch}/inference/ort`;
      console.log(`${label.padEnd(58)}  ${ms.toFixed(3).padStart(10)} ms  ${(batch / ms * 1e3).toFixed(2).padStart(9)} images/s`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
