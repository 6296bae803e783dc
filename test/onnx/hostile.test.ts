/**
 * Hostile ONNX files: truncated or corrupted bytes, huge declared dimensions, a graph cycle, tensor data shorter
 * than its shape, external data outside the model's folder. Each gives a clear RangeError; nothing is read
 * outside the model (and, for external data, its folder); sizes are checked before anything is allocated.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MultiLayerNet } from '../../lib/nets';
import { encodeOnnx, importOnnx } from '../../lib/onnx';
import { decodeModelProto, modelProtoType, type ModelProto, type TensorProto } from '../../lib/onnx/proto';
import { spawnSync } from 'child_process';
import { ensureDist, root } from '../cli/dist';
import { inputFor } from './helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'onnx');
const deep = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'deep_convnet.onnx')));
const small = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 2 });
const smallBytes = encodeOnnx(small);

function mutate(bytes: Uint8Array, fn: (m: ModelProto) => void): Uint8Array {
  const m = decodeModelProto(bytes, 'test');
  fn(m);
  return new Uint8Array(modelProtoType().encode(m as never).finish());
}

const init = (m: ModelProto, name: string): TensorProto => m.graph!.initializer!.find((t) => t.name === name)!;

describe('corrupted bytes', () => {
  test('truncated anywhere: a RangeError, never a crash or a silently smaller network', () => {
    let count = 0;
    for (let cut = 0; cut < deep.length; cut += 4099) {
      expect(() => importOnnx(deep.subarray(0, cut))).toThrow(RangeError);
      count++;
    }
    expect(count).toBeGreaterThan(100);
    expect(() => importOnnx(deep.subarray(0, deep.length - 1))).toThrow(/not an ONNX model \(truncated or corrupted protobuf/);
  });

  test('garbage, empty bytes, and a deeply nested message', () => {
    expect(() => importOnnx(Uint8Array.from({ length: 1000 }, (_, i) => (i * 151 + 7) & 255))).toThrow(RangeError);
    expect(() => importOnnx(new Uint8Array(0))).toThrow(/the model has no graph/);
    // graph -> node -> attribute -> graph -> … 30,000 deep: the decoder's recursion ends in a RangeError, caught
    const fields = [7, ...Array.from({ length: 30000 }, () => [1, 5, 6]).flat()]; // ModelProto.graph, GraphProto.node, NodeProto.attribute, AttributeProto.g
    const varint = (n: number): number[] => {
      const out: number[] = [];
      do {
        out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n = Math.floor(n / 128);
      } while (n > 0);
      return out;
    };
    const headers: number[][] = [];
    let len = 0;
    for (let k = fields.length - 1; k >= 0; k--) {
      const h = [(fields[k] << 3) | 2, ...varint(len)];
      headers[k] = h;
      len += h.length;
    }
    const nested = Uint8Array.from(headers.flat());
    expect(() => importOnnx(nested)).toThrow(/not an ONNX model/);
  });
});

describe('sizes are checked before allocating', () => {
  test('huge declared dims of an initializer', () => {
    const bytes = mutate(smallBytes, (m) => (init(m, 'W1').dims = [1e6, 1e6, 1e6]));
    expect(() => importOnnx(bytes)).toThrow(/initializer 'W1': dims \[1000000, 1000000, 1000000\] declare more than 2147483647 elements/);
    const beyond = mutate(smallBytes, (m) => (init(m, 'W1').dims = [2 ** 60]));
    expect(() => importOnnx(beyond)).toThrow(/initializer 'W1'.*(more than 2147483647 elements|not an integer JS can hold)/);
  });

  test('huge declared dims of the input', () => {
    const bytes = mutate(smallBytes, (m) => {
      m.graph!.input![0].type!.tensorType!.shape!.dim = [{ dimParam: 'batch' }, { dimValue: 1e6 }, { dimValue: 1e6 }, { dimValue: 1e6 }];
    });
    expect(() => importOnnx(bytes)).toThrow(/input 'input' declares more than 2147483647 values per sample/);
  });

  test('tensor data shorter than its shape (raw_data and float_data)', () => {
    const raw = mutate(smallBytes, (m) => (init(m, 'W1').dims = [6, 50]));
    expect(() => importOnnx(raw)).toThrow(/initializer 'W1': its data holds 30 elements but its dims \[6, 50\] declare 300 \(tensor data shorter than its shape\)/);
    const floats = mutate(smallBytes, (m) => {
      const t = init(m, 'b1');
      t.rawData = new Uint8Array(0);
      t.floatData = [1, 2, 3];
    });
    expect(() => importOnnx(floats)).toThrow(/initializer 'b1': its data holds 3 elements but its dims \[5\] declare 5 \(tensor data shorter/);
    const ragged = mutate(smallBytes, (m) => (init(m, 'b1').rawData = new Uint8Array(7)));
    expect(() => importOnnx(ragged)).toThrow(/raw data of 7 bytes is not a whole number of FLOAT elements/);
  });

  test('an initializer of another type is refused by name', () => {
    const bytes = mutate(smallBytes, (m) => (init(m, 'W1').dataType = 8));
    expect(() => importOnnx(bytes)).toThrow(/initializer 'W1': data type STRING is not supported/);
  });
});

describe('graph structure', () => {
  test('a cycle is found and named', () => {
    const bytes = mutate(smallBytes, (m) => {
      const nodes = m.graph!.node!;
      nodes[0].input![0] = nodes[1].output![0]; // Gemm reads the Relu after it
    });
    expect(() => importOnnx(bytes)).toThrow(/the graph has a cycle through node 'affine1' \(Gemm\), node 'relu1' \(Relu\)/);
  });

  test('a value produced twice, and a value nothing produces', () => {
    const twice = mutate(smallBytes, (m) => (m.graph!.node![1].output = [m.graph!.node![0].output![0]]));
    expect(() => importOnnx(twice)).toThrow(/value 'affine1_out' is produced twice/);
    const missing = mutate(smallBytes, (m) => (m.graph!.node![1].input = ['nowhere']));
    expect(() => importOnnx(missing)).toThrow(/node 'relu1' \(Relu\) reads 'nowhere', which no node, input or initializer provides/);
  });

  test('two inputs, no outputs', () => {
    const two = mutate(smallBytes, (m) => m.graph!.input!.push({ ...m.graph!.input![0], name: 'second' }));
    expect(() => importOnnx(two)).toThrow(/the graph has 2 inputs \('input', 'second'\); simdnet networks take exactly one/);
    const none = mutate(smallBytes, (m) => (m.graph!.output = []));
    expect(() => importOnnx(none)).toThrow(/the graph has 0 outputs/);
  });
});

describe('external data', () => {
  let dir: string;
  let outside: string;
  beforeEach(() => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-onnx-ext-'));
    dir = path.join(base, 'model');
    fs.mkdirSync(dir);
    outside = path.join(base, 'secret.bin');
    fs.writeFileSync(outside, Buffer.alloc(4096, 1));
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  /** The small model with W1's data moved to `location` (written there when `write`). */
  function external(location: string, opts: { offset?: number; length?: number; write?: boolean } = {}): string {
    const file = path.join(dir, 'm.onnx');
    const bytes = mutate(smallBytes, (m) => {
      const t = init(m, 'W1');
      if (opts.write) fs.writeFileSync(path.join(dir, location), Buffer.concat([Buffer.alloc(opts.offset ?? 0), Buffer.from(t.rawData!)]));
      t.rawData = new Uint8Array(0);
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(opts.offset ?? 0) }];
      if (opts.length !== undefined) t.externalData.push({ key: 'length', value: String(opts.length) });
    });
    fs.writeFileSync(file, bytes);
    return file;
  }

  test('data beside the model is read (only its range), and gives the same network', () => {
    const file = external('weights.bin', { offset: 64, length: 120, write: true });
    const x = inputFor(small, 3, 1);
    // the import runs in a child process (the compiled library) whose fs calls are recorded: Jest's sandbox
    // cannot patch Node's fs module
    ensureDist();
    const script = `
      const fs = require('fs');
      const seen = [];
      for (const fn of ['readFileSync', 'openSync', 'statSync', 'lstatSync', 'realpathSync', 'existsSync', 'readdirSync', 'readSync']) {
        const orig = fs[fn];
        fs[fn] = function (p, ...rest) { if (fn !== 'readSync') seen.push(String(p)); return orig.call(fs, p, ...rest); };
      }
      const { importOnnx } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'onnx'))});
      require(${JSON.stringify(path.join(root, 'dist', 'lib', 'onnx', 'proto'))}).modelProtoType(); // the schema, read once
      require(${JSON.stringify(path.join(root, 'dist', 'lib', 'backend'))}).getBackend(); // the addon, loaded once
      seen.length = 0;
      const net = importOnnx(${JSON.stringify(file)});
      process.stdout.write(JSON.stringify({ seen, W1: Array.from(net.namedParams().W1.value.data) }));
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { seen, W1 } = JSON.parse(r.stdout) as { seen: string[]; W1: number[] };
    expect(W1).toEqual(Array.from(small.namedParams().W1.value.data));
    const net = importOnnx(file);
    expect(net.predict(x).data).toEqual(small.predict(x).data);
    // nothing outside the model's folder was touched
    const real = fs.realpathSync(dir);
    expect(seen.filter((p) => !path.resolve(p).startsWith(dir) && !path.resolve(p).startsWith(real))).toEqual([]);
    expect(seen).toContain(file);
    expect(seen.some((p) => p.endsWith('weights.bin'))).toBe(true);
  });

  test('paths leading outside the folder are refused before anything is read', () => {
    expect(() => importOnnx(external('../secret.bin'))).toThrow(/external data location '..\/secret.bin' is outside the model's folder/);
    expect(() => importOnnx(external(outside))).toThrow(/is an absolute path; only files inside the model's folder are read/);
    fs.symlinkSync(outside, path.join(dir, 'link.bin'));
    expect(() => importOnnx(external('link.bin'))).toThrow(/external data location 'link.bin' leads outside the model's folder \(a symbolic link\)/);
    expect(() => importOnnx(external('sub/../../secret.bin'))).toThrow(/outside the model's folder/);
  });

  test('offsets and lengths are checked against the file and the dims', () => {
    expect(() => importOnnx(external('w.bin', { offset: 0, length: 8, write: true }))).toThrow(/external data length 8 bytes, but its dims declare 120 bytes/);
    fs.writeFileSync(path.join(dir, 'short.bin'), Buffer.alloc(100));
    expect(() => importOnnx(external('short.bin'))).toThrow(/'short.bin' has 100 bytes; offset 0 \+ 120 bytes runs past its end/);
    expect(() => importOnnx(external('none.bin'))).toThrow(/external data file 'none.bin' does not exist beside the model/);
    const bytes = fs.readFileSync(external('w.bin', { write: true }));
    expect(() => importOnnx(new Uint8Array(bytes))).toThrow(/its data is external \('w.bin'\), which needs the model's folder/);
  });
});
