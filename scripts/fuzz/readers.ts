/**
 * The file readers under fuzz: each with valid seed files made here (no download, nothing read outside the
 * repository), a dictionary of tokens its format cares about (spliced in by the mutator), and a `run` that feeds
 * it one input. The contract every reader must keep for ANY input: return, or throw a TypeError or RangeError —
 * never another error, never hang, never crash the process (see scripts/fuzz/mutate.ts, test/fuzz/).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { parseCsv } from '../../lib/data/csv';
import { decodeImage } from '../../lib/data/decode';
import { encodeIdx, parseIdx } from '../../lib/data/idx';
import { decodeCheckpoint, encodeModel } from '../../lib/io/model';
import { encodeNpy, parseNpy } from '../../lib/io/npy';
import { encodeNpz, readNpz } from '../../lib/io/npz';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { Affine, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { DeepConvNet, MultiLayerNet, Sequential, SimpleConvNet } from '../../lib/nets';
import { exportOnnx } from '../../lib/onnx/export';
import { importOnnx } from '../../lib/onnx/import';
import { packageRoot } from '../../lib/package-root';

export interface Reader {
  name: string;
  /** Valid inputs the mutations start from. */
  seeds(): Uint8Array[];
  /** Tokens of the format, spliced in by 'insert-token' mutations. */
  dict: string[];
  /** Feeds one input to the reader (the result is ignored; only how it ends matters). */
  run(input: Uint8Array): unknown;
}

const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const ramp = (n: number, scale = 0.25) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale);
// the checkout's root from scripts/fuzz (ts-jest) or dist/scripts/fuzz (compiled): the package root, found by its
// package.json — not by a directory named 'dist', which a checkout itself may be called
const repoRoot = packageRoot();

let modelSeeds: Uint8Array[] | null = null;
function models(): Uint8Array[] {
  modelSeeds ??= [
    encodeModel(new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, seed: 1 })),
    encodeModel(new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 4, outputSize: 3, seed: 2 })),
    encodeModel(new Sequential([new Affine(3, 2), new Relu(), new Affine(2, 2), new SoftmaxWithLoss()], { inputShape: [3], seed: 3 })),
    encodeModel(new DeepConvNet({ inputDim: [1, 4, 4], hiddenSize: 2, outputSize: 2, convParam1: { filterNum: 1 }, convParam2: { filterNum: 1 }, convParam3: { filterNum: 1 }, convParam4: { filterNum: 1 }, convParam5: { filterNum: 1 }, convParam6: { filterNum: 1 } })),
  ];
  return modelSeeds;
}

function png(w: number, h: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37 + (i >> 5)) & 255;
  return PNG.sync.write(p, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
}

export const READERS: Reader[] = [
  {
    name: 'npy',
    seeds: () => [
      encodeNpy({ dtype: 'f4', shape: [2, 3], data: ramp(6) }),
      encodeNpy({ dtype: 'f8', shape: [4], data: Float64Array.from(ramp(4)) }),
      encodeNpy({ dtype: 'i4', shape: [], data: Int32Array.from([7]) }),
      encodeNpy({ dtype: 'u1', shape: [3, 1], data: Uint8Array.from([1, 2, 3]) }),
      ...['f4_v2.npy', 'f4_v3.npy', 'f8_be.npy', 'b1_v1.npy'].map((f) => fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'io', f))),
    ],
    dict: ["'descr'", "'shape'", "'fortran_order'", '(', ')', '((((((((', '{', '}', "'<f4'", "'>f8'", "'|b1'", "'<U4'", 'True', 'False', 'None', '99999999999999999999', '-1', ',', "'__proto__'", '\\'],
    run: (b) => parseNpy(b, 'fuzz.npy'),
  },
  {
    name: 'npz',
    seeds: () => [
      encodeNpz({ W1: { dtype: 'f4', shape: [2, 2], data: ramp(4) }, b1: { dtype: 'f8', shape: [2], data: Float64Array.from([1, 2]) } }),
      encodeNpz({ a: { dtype: 'i4', shape: [3], data: Int32Array.from([1, 2, 3]) } }, { compress: true }),
      encodeNpz({ x: { dtype: 'f4', shape: [1], data: ramp(1) } }, { forceZip64: true }),
    ],
    dict: ['PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'PK\x06\x07', '\xff\xff\xff\xff', '\x00\x00\x00\x00', '.npy', '__proto__.npy', 'constructor.npy', '\x93NUMPY', '../'],
    run: (b) => readNpz(b),
  },
  {
    name: 'safetensors',
    seeds: () => [
      encodeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: ramp(6) }, i: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, -2n]) } }, { note: 'x' }),
      encodeSafetensors({ h: { dtype: 'F16', shape: [4], data: Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0]) } }),
      models()[0],
    ],
    dict: ['{', '}', '[', ']', '"dtype"', '"shape"', '"data_offsets"', '"F32"', '"BF16"', '"__metadata__"', '"__proto__"', '18446744073709551615', '-1', '1e308', 'null', ','],
    run: (b) => decodeSafetensors(b, 'fuzz.safetensors'),
  },
  {
    name: 'idx',
    seeds: () => [
      encodeIdx({ dims: [2, 3, 3], data: Uint8Array.from({ length: 18 }, (_, i) => i) }),
      encodeIdx({ dims: [4], data: Float32Array.from(ramp(4)), dtype: 'f32' }),
      encodeIdx({ dims: [3], data: Int32Array.from([1, -1, 7]), dtype: 'i32' }),
      encodeIdx({ dims: [2, 2], data: Uint8Array.from([1, 2, 3, 4]) }, true),
    ],
    dict: ['\x00\x00\x08\x03', '\x00\x00\x0d\x01', '\x00\x00\x0c\x04', '\x1f\x8b\x08', '\xff\xff\xff\xff', '\x7f\xff\xff\xff'],
    run: (b) => parseIdx(b, 'fuzz.idx'),
  },
  {
    name: 'png',
    seeds: () => [
      png(5, 4, 6, 8), png(3, 3, 2, 16), png(4, 2, 0, 8), png(2, 5, 4, 16),
      fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'io', 'palette.png')),
      fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'io', 'gray16.png')),
    ],
    dict: ['IHDR', 'IDAT', 'IEND', 'PLTE', 'tRNS', 'acTL', 'fcTL', '\x00\x00\x00\x00', '\xff\xff\xff\xff', '\x7f\xff\xff\xff', '\x78\x9c', '\x08\x06\x00\x00\x00', '\x01\x03\x00\x00\x01'],
    run: (b) => decodeImage(b, 'fuzz.png', { maxResolutionInMP: 1 }),
  },
  {
    name: 'jpeg',
    seeds: () => {
      const d = Buffer.alloc(16 * 16 * 4);
      for (let i = 0; i < d.length; i++) d[i] = (i * 29) & 255;
      return [jpeg.encode({ width: 16, height: 16, data: d }, 90).data, jpeg.encode({ width: 9, height: 5, data: d.subarray(0, 180) }, 50).data];
    },
    dict: ['\xff\xd8', '\xff\xd9', '\xff\xc0', '\xff\xc2', '\xff\xc4', '\xff\xda', '\xff\xdb', '\xff\xdd', '\xff\xe0', '\xff\xee', '\x00\x00', '\xff\xff'],
    run: (b) => decodeImage(b, 'fuzz.jpg', { maxResolutionInMP: 1, maxMemoryUsageInMB: 64 }),
  },
  {
    name: 'csv',
    seeds: () => [
      enc('label,a,b,c\n1,0.5,2,3\n0,-1e-3,4,5\n2,7,8,9\n'),
      enc('1,2,3\n4,5,6\n'),
      enc('x,"y",cls\r\n0.5,-1e-3,2\r\n"7", 3 ,0\r\n\r\n'),
    ],
    dict: [',', '\n', '\r\n', '"', '""', '0x10', '1e39', '-1e39', 'NaN', 'Infinity', '2147483647', '-0', '.5', '1e-45', '\ufeff', ' ', '\t', 'label'],
    run: (b) => parseCsv(Buffer.from(b).toString('utf8'), {}, 'fuzz.csv'),
  },
  {
    name: 'model-config',
    // the input is the config JSON of a model file; the file around it is rebuilt valid, so every mutation
    // lands in what loadModel trusts to rebuild the network
    seeds: () => models().map((m) => enc(decodeSafetensors(m).metadata.config)),
    dict: ['"type"', '"Sequential"', '"DeepConvNet"', '"SimpleConvNet"', '"MultiLayerNet"', '"MultiLayerNetExtend"', '"Graph"', '"layers"', '"backend"', '"__proto__"',
      '"constructor"', '"hiddenSize"', '"inputDim"', '"convParam"', '2147483647', '1e308', '-1', '0', '0.5', 'null', 'true', '{}', '[]', '[[[[[[[[', ',', ':'],
    run: (b) => {
      const base = models()[0];
      const { tensors, metadata } = decodeSafetensors(base);
      metadata.config = Buffer.from(b).toString('utf8');
      return decodeCheckpoint(encodeSafetensors(tensors, metadata), {}, 'fuzz.safetensors');
    },
  },
  {
    name: 'onnx',
    // exported models of each family (chain and convolutional); importOnnx parses the protobuf, checks the graph
    // and builds a network, so mutations reach the schema decoder, the graph walk and the layer builders
    seeds: () => [
      exportOnnx(new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, seed: 1 })),
      exportOnnx(new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3 }, hiddenSize: 4, outputSize: 3, seed: 2 })),
      exportOnnx(new Sequential([new Affine(3, 2), new Relu(), new Affine(2, 2), new SoftmaxWithLoss()], { inputShape: [3], seed: 3 })),
      // PyTorch's x.view(n, c * h * w) with a dynamic batch: the Shape → Gather → Mul → Unsqueeze → Concat chain
      new Uint8Array(fs.readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'onnx', 'view_dims.onnx'))),
    ],
    dict: ['Conv', 'Gemm', 'Relu', 'MaxPool', 'Add', 'Concat', 'Flatten', 'Reshape', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Mul', 'Div', 'input', 'logits', 'external_data', 'location', '../x',
      '\xff\xff\xff\xff\x0f', '\x08\x11', '\x12\x00', '\x3a\x00'],
    run: (b) => importOnnx(b),
  },
];

export function readerNamed(name: string): Reader {
  const r = READERS.find((x) => x.name === name);
  if (!r) throw new RangeError(`fuzz: reader: expected one of ${READERS.map((x) => x.name).join(', ')}, got '${name}'`);
  return r;
}

/**
 * V8's own TypeError/RangeError messages: such an error is a bug escaping (a null dereference, an allocation
 * from an unchecked size, a stack overflow), not the reader's clear refusal, so it breaks the contract too.
 * Only the start of the message counts: a reader's error starts with its label ("images: f.jpg: cannot decode
 * (…)"), which may quote a third-party decoder's own failure.
 */
const ENGINE_ERRORS = /^(Cannot (read|set) propert|\S+ is not (a function|iterable|a constructor)|Cannot convert|Invalid (typed )?array length|Array buffer allocation failed|Maximum call stack|Invalid string length|Offset is outside the bounds|Start offset|offset is out of bounds|Attempt to access memory outside|The value of "|The "\w+" argument|Cannot create a Buffer larger|Invalid count value)/;

function errorKind(err: unknown): string | null {
  for (let p = err as object | null; p; p = Object.getPrototypeOf(p)) {
    const n = (p as { constructor?: { name?: string } }).constructor?.name; // by name: errors may come from another realm (jest)
    if (n === 'TypeError' || n === 'RangeError') return n;
  }
  return null;
}

/** How one run ended: 'ok' (returned, or threw the reader's own TypeError/RangeError), or the contract broken. */
export function classify(reader: Reader, input: Uint8Array): { ok: true } | { ok: false; error: string } {
  try {
    reader.run(input);
    return { ok: true };
  } catch (err) {
    const kind = errorKind(err);
    const message = (err as Error)?.message ?? String(err);
    if (kind && !ENGINE_ERRORS.test(message)) return { ok: true };
    return { ok: false, error: `${(err as Error)?.constructor?.name ?? typeof err}: ${message}` };
  }
}
