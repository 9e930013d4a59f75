// NumPy .npy reading and writing for the peer runner, so octet and ONNX Runtime exchange
// inputs and outputs through the same files the octet CLI reads and writes. Little-endian,
// C order, format versions 1-3; the dtypes ONNX models use as inputs and outputs.
'use strict';
const fs = require('node:fs');

// npy descr (without byte order) <-> ONNX Runtime tensor type and typed array.
const DTYPES = [
  { descr: 'f4', type: 'float32', array: Float32Array },
  { descr: 'f8', type: 'float64', array: Float64Array },
  { descr: 'f2', type: 'float16', array: Uint16Array },
  { descr: 'i1', type: 'int8', array: Int8Array },
  { descr: 'u1', type: 'uint8', array: Uint8Array },
  { descr: 'i2', type: 'int16', array: Int16Array },
  { descr: 'u2', type: 'uint16', array: Uint16Array },
  { descr: 'i4', type: 'int32', array: Int32Array },
  { descr: 'u4', type: 'uint32', array: Uint32Array },
  { descr: 'i8', type: 'int64', array: BigInt64Array },
  { descr: 'u8', type: 'uint64', array: BigUint64Array },
  { descr: 'b1', type: 'bool', array: Uint8Array },
];

function fail(message) {
  const e = new Error(message);
  e.userError = true;
  throw e;
}

// Parses .npy bytes into {type, dims, data (typed array)}; `origin` names the file in errors.
function parseNpy(buf, origin) {
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);  // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) fail(`${origin}: not a .npy file (bad magic)`);
  const major = buf[6];
  let headerLen, headerStart;
  if (major === 1) { headerLen = buf.readUInt16LE(8); headerStart = 10; }
  else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(`${origin}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8); headerStart = 12;
  } else fail(`${origin}: unsupported .npy format version ${major}`);
  if (headerStart + headerLen > buf.length) fail(`${origin}: truncated .npy header`);
  const header = buf.subarray(headerStart, headerStart + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(`${origin}: .npy header lacks descr, fortran_order or shape: ${header.trim()}`);
  if (fortran[1] === 'True') fail(`${origin}: Fortran-order arrays are not supported`);
  const order = descr[1][0];
  const code = descr[1].slice(1);
  const entry = DTYPES.find((d) => d.descr === code);
  if (!entry || !'<|='.includes(order)) fail(`${origin}: unsupported .npy dtype '${descr[1]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => {
    if (!/^\d+$/.test(s)) fail(`${origin}: bad shape entry '${s}'`);
    return Number(s);
  });
  const numel = dims.reduce((a, b) => a * b, 1);
  const itemBytes = entry.array.BYTES_PER_ELEMENT;
  const dataStart = headerStart + headerLen;
  if (buf.length - dataStart !== numel * itemBytes) {
    fail(`${origin}: expected ${numel * itemBytes} data bytes for shape (${dims}) ${descr[1]}, found ${buf.length - dataStart}`);
  }
  // Copy into an aligned buffer: typed arrays need offsets that are multiples of the item size.
  const data = new entry.array(numel);
  Buffer.from(data.buffer).set(buf.subarray(dataStart));
  return { type: entry.type, dims, data };
}

function readNpy(path) {
  let buf;
  try { buf = fs.readFileSync(path); } catch (e) { fail(`${path}: cannot read (${e.code || e.message})`); }
  return parseNpy(buf, path);
}

// Serializes {type, dims, data} to version-1 .npy bytes.
function encodeNpy(tensor) {
  const entry = DTYPES.find((d) => d.type === tensor.type);
  if (!entry) fail(`cannot write tensor type '${tensor.type}' as .npy`);
  const order = entry.array.BYTES_PER_ELEMENT === 1 ? '|' : '<';
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${order}${entry.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so that magic + length + header + '\n' is a multiple of 64 bytes.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

// Writes atomically (temporary file, then rename) so that a reader never sees half a file.
function writeNpy(path, tensor) {
  const tmp = `${path}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, encodeNpy(tensor));
  fs.renameSync(tmp, path);
}

module.exports = { DTYPES, parseNpy, readNpy, encodeNpy, writeNpy, fail };
