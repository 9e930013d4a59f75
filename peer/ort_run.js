#!/usr/bin/env node
// ONNX Runtime (CPU) as octet's peer: runs a model on .npy inputs for the interop tests and
// measures latency for bench/compare_ort.sh, with the same flags and output as `octet run`
// and `octet bench`, so both engines are driven the same way.
//
//   node peer/ort_run.js run MODEL --input NAME=FILE.npy ... --output-dir DIR [--threads N]
//   node peer/ort_run.js bench MODEL [--threads N] [--iters N] [--warmup N] [--batch N]
//                              [--shape NAME=D0,D1,...] [--seed N] [--json]
//   node peer/ort_run.js optimize MODEL --output OUT.onnx
//     writes the graph ORT runs after its 'extended' optimizations (QDQ groups fused into
//     QLinearConv, QLinearAdd...), so a test can check what ORT ran in INT8.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { readNpy, writeNpy, fail } = require('./npy');

// Every process that loads onnxruntime-node 1.30 leaves an empty mat-debug-<pid>.log in the
// temp folder; remove ours on the way out (only if empty, in case it ever says something).
process.on('exit', () => {
  const log = path.join(os.tmpdir(), `mat-debug-${process.pid}.log`);
  try { if (fs.statSync(log).size === 0) fs.unlinkSync(log); } catch (_) { /* not there */ }
});

const USAGE = `usage:
  node peer/ort_run.js run MODEL --input NAME=FILE.npy ... --output-dir DIR [--threads N]
  node peer/ort_run.js bench MODEL [--threads N] [--iters N] [--warmup N] [--batch N]
                             [--shape NAME=D0,D1,...] [--seed N] [--json]
  node peer/ort_run.js optimize MODEL --output OUT.onnx
Outputs of 'run' go to DIR/<name>.npy, the name sanitized as 'octet run' does.`;

function parseArgs(argv) {
  const valueFlags = ['--input', '--output', '--output-dir', '--threads', '--iters', '--warmup', '--batch', '--shape', '--seed'];
  const switchFlags = ['--json'];
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; ++i) {
    let arg = argv[i];
    if (arg === '--help' || arg === '-h') { console.log(USAGE); process.exit(0); }
    if (!arg.startsWith('--')) { positionals.push(arg); continue; }
    let value;
    const eq = arg.indexOf('=');
    if (eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    if (switchFlags.includes(arg)) { flags[arg] = ['1']; continue; }
    if (!valueFlags.includes(arg)) fail(`unknown flag '${arg}'`);
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`flag ${arg} needs a value`);
      value = argv[++i];
    }
    (flags[arg] = flags[arg] || []).push(value);
  }
  return { flags, positionals };
}

function intFlag(flags, name, fallback) {
  if (!flags[name]) return fallback;
  const text = flags[name][flags[name].length - 1];
  if (!/^\d+$/.test(text)) fail(`flag ${name} wants a non-negative integer, got '${text}'`);
  return Number(text);
}

// "NAME=1,3,224,224" -> [NAME, [1,3,224,224]]
function parseShape(text) {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) fail(`--shape wants NAME=D0,D1,..., got '${text}'`);
  const dims = text.slice(eq + 1).split(',').map((d) => {
    if (!/^[1-9]\d*$/.test(d)) fail(`--shape ${text}: '${d}' is not a positive dimension`);
    return Number(d);
  });
  return [text.slice(0, eq), dims];
}

// The same rule as `octet run`: keep [A-Za-z0-9._-], replace every other byte by '_', and
// never produce a hidden or empty name.
function safeFileName(name) {
  let s = Buffer.from(name, 'utf8').toString('latin1').replace(/[^A-Za-z0-9._-]/g, '_');
  if (s.length === 0 || s.startsWith('.')) s = `_${s}`;
  return s;
}

async function createSession(ort, model, threads) {
  if (!fs.existsSync(model)) fail(`${model}: no such file`);
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

async function runCommand(ort, model, flags) {
  const outDir = flags['--output-dir'] && flags['--output-dir'][0];
  if (!outDir) fail('run needs --output-dir DIR');
  const session = await createSession(ort, model, intFlag(flags, '--threads', 1));
  const feeds = {};
  for (const spec of flags['--input'] || []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`--input wants NAME=FILE.npy, got '${spec}'`);
    const name = spec.slice(0, eq);
    if (!session.inputNames.includes(name)) fail(`${model} has no input named '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const t = readNpy(spec.slice(eq + 1));
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of session.inputNames) if (!feeds[name]) fail(`input '${name}' was not given (--input ${name}=FILE.npy)`);
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    writeNpy(path.join(outDir, `${safeFileName(name)}.npy`), { type: t.type, dims: t.dims, data: t.data });
  }
}

// A small seeded generator (mulberry32) so both engines can be fed reproducible inputs.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTensor(ort, meta, dims, next) {
  const numel = dims.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from({ length: numel }, () => next() * 2 - 1), dims);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from({ length: numel }, () => BigInt(Math.floor(next() * 10))), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from({ length: numel }, () => Math.floor(next() * 10)), dims);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from({ length: numel }, () => Math.floor(next() * 256)), dims);
    case 'int8': return new ort.Tensor('int8', Int8Array.from({ length: numel }, () => Math.floor(next() * 256) - 128), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from({ length: numel }, () => (next() < 0.5 ? 1 : 0)), dims);
    default: fail(`input '${meta.name}': random data for type '${meta.type}' is not supported`);
  }
  return null;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { median, p90: at(0.9), min: sorted[0], mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

async function benchCommand(ort, model, flags) {
  const threads = intFlag(flags, '--threads', 1);
  const iters = intFlag(flags, '--iters', 20);
  const warmup = intFlag(flags, '--warmup', 3);
  const batch = intFlag(flags, '--batch', 1);
  if (iters < 1) fail('--iters must be at least 1');
  const shapes = Object.fromEntries((flags['--shape'] || []).map(parseShape));
  const session = await createSession(ort, model, threads);
  for (const name of Object.keys(shapes)) if (!session.inputNames.includes(name)) fail(`${model} has no input named '${name}'`);
  const next = rng(intFlag(flags, '--seed', 1));
  const feeds = {};
  let usedBatch = batch;
  for (const meta of session.inputMetadata) {
    let dims = shapes[meta.name];
    if (!dims) {
      dims = meta.shape.map((d, i) => {
        if (typeof d === 'number' && d > 0) return d;
        if (i === 0) return batch;  // the batch dim
        fail(`input '${meta.name}' has dynamic dim ${i}; give --shape ${meta.name}=D0,D1,...`);
        return 0;
      });
    } else usedBatch = dims[0];
    feeds[meta.name] = randomTensor(ort, meta, dims, next);
  }
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const samples = [];
  for (let i = 0; i < iters; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const s = stats(samples);
  const result = {
    engine: 'onnxruntime', version: ort.env.versions.common, model, threads, batch: usedBatch, iters, warmup,
    latency_ms: { median: s.median, p90: s.p90, min: s.min, mean: s.mean },
    throughput_fps: (usedBatch * 1000) / s.median,
  };
  if (flags['--json']) { console.log(JSON.stringify(result)); return; }
  console.log(`${path.basename(model)}: onnxruntime ${result.version}, ${threads} thread(s), batch ${usedBatch}, ${iters} iterations after ${warmup} warm-up`);
  console.log(`latency ms: median ${s.median.toFixed(3)}  p90 ${s.p90.toFixed(3)}  min ${s.min.toFixed(3)}`);
  console.log(`throughput: ${result.throughput_fps.toFixed(1)} inferences/s`);
}

// Level 'extended' holds the QDQ fusions and leaves out the layout transformers of 'all',
// whose saved graphs are specific to this CPU.
async function optimizeCommand(ort, model, flags) {
  const out = flags['--output'] && flags['--output'][0];
  if (!out) fail('optimize needs --output OUT.onnx');
  if (!fs.existsSync(model)) fail(`${model}: no such file`);
  if (path.resolve(out) === path.resolve(model)) fail(`--output ${out} would overwrite the input model`);
  await ort.InferenceSession.create(model, { graphOptimizationLevel: 'extended', optimizedModelFilePath: out });
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h') { console.log(USAGE); return command ? 0 : 2; }
  const { flags, positionals } = parseArgs(rest);
  if (positionals.length !== 1) fail(`${command} takes one MODEL, got ${positionals.length} positional arguments`);
  const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
  if (command === 'run') await runCommand(ort, positionals[0], flags);
  else if (command === 'bench') await benchCommand(ort, positionals[0], flags);
  else if (command === 'optimize') await optimizeCommand(ort, positionals[0], flags);
  else fail(`unknown command '${command}' (run, bench or optimize)`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(`ort_run: error: ${e.userError ? e.message : (e.stack || e)}`);
  process.exitCode = 1;
});
