// Runs an ONNX model written by autonl in ONNX Runtime (npm's
// onnxruntime-node, CPU) and compares its logits with the ones Go computed.
//
//   node interop/ort_check.js DIR NAME [INPUT]
//
// reads DIR/NAME.onnx and DIR/NAME.io.safetensors (written by
// `go run ./interop`), feeds the tensor INPUT of the latter ("raw" by
// default: the images before normalization, which the exported graphs
// normalize themselves when the network was trained on normalized data)
// and compares the output with its "logits": the relative difference
// max|ort − go| / max|go| must be at most 1e-4. Exit status 1 otherwise.
// Run interop/install.sh first; it installs onnxruntime-node into
// interop/node_modules.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-4;

// readSafetensors returns {name: {shape, data: Float32Array}} for the F32
// tensors of a .safetensors file: an 8-byte little-endian header length,
// a JSON header, then the raw data.
function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32') throw new Error(`${file}: tensor ${name} is ${info.dtype}, want F32`);
    const [begin, end] = info.data_offsets;
    const bytes = buf.subarray(base + begin, base + end);
    const data = new Float32Array(bytes.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
    out[name] = { shape: info.shape, data };
  }
  return out;
}

async function main() {
  const [dir, name, input = 'raw'] = process.argv.slice(2);
  if (!dir || !name) {
    console.error('usage: node interop/ort_check.js DIR NAME [INPUT]');
    process.exit(2);
  }
  const io = readSafetensors(path.join(dir, name + '.io.safetensors'));
  const x = io[input];
  if (!x) throw new Error(`${name}.io.safetensors has no tensor ${input}`);
  const session = await ort.InferenceSession.create(path.join(dir, name + '.onnx'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 2,
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) };
  const result = await session.run(feeds);
  const got = result[session.outputNames[0]];
  const want = io.logits;
  if (JSON.stringify(got.dims) !== JSON.stringify(want.shape)) {
    throw new Error(`${name}: ONNX Runtime gives shape [${got.dims}], Go [${want.shape}]`);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.data.length; i++) {
    num = Math.max(num, Math.abs(got.data[i] - want.data[i]));
    den = Math.max(den, Math.abs(want.data[i]));
  }
  const rel = den === 0 ? num : num / den;
  const ok = rel <= TOLERANCE;
  console.log(`${name.padEnd(12)} ONNX Runtime ${ort.env.versions.node} vs Go: max relative logit difference ${rel.toPrecision(3)} (tolerance ${TOLERANCE}) ${ok ? 'ok' : 'FAIL'}`);
  if (!ok) process.exit(1);
}

main().catch((err) => {
  console.error(`ort_check: ${err.message}`);
  process.exit(1);
});
