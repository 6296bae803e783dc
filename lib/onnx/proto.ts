/**
 * The ONNX schema through protobufjs: the official onnx.proto (lib/onnx/schema, Apache-2.0, copied verbatim) is
 * parsed once, at first use, and its ModelProto type encodes and decodes model files.
 *
 * Why runtime loading rather than a generated static module: the schema stays the upstream file byte for byte
 * (diffable against a newer ONNX release), there is no code-generation step in the build and no 10,000-line
 * generated file in the tree; reflection-based encoding is protobufjs's own, tested code. Model files are
 * decoded once, so the speed of reflection does not matter here.
 *
 * The interfaces below describe the subset of the schema simdnet reads and writes (field names as protobufjs
 * gives them: camelCase). int64 fields decode as `Long` objects: `toInt` converts them with a range check.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';

/** A protobuf int64 as decoded (number, or protobufjs's Long). */
export type Int64 = number | { toNumber(): number; low: number; high: number };

/** onnx.TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

export interface StringStringEntry {
  key?: string;
  value?: string;
}

export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  rawData?: Uint8Array;
  name?: string;
  docString?: string;
  /** 0 DEFAULT, 1 EXTERNAL */
  dataLocation?: number;
  externalData?: StringStringEntry[];
}

export interface AttributeProto {
  name?: string;
  /** onnx.AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS, … */
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  refAttrName?: string;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface DimensionProto {
  dimValue?: Int64;
  dimParam?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparseInitializer?: unknown[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: StringStringEntry[];
  functions?: unknown[];
}

let modelType: protobuf.Type | null = null;

/** Where onnx.proto is: beside this file in the sources, or lib/onnx/schema from dist/lib/onnx. */
function schemaPath(): string {
  const candidates = [
    path.join(__dirname, 'schema', 'onnx.proto'),
    path.join(__dirname, '..', '..', '..', 'lib', 'onnx', 'schema', 'onnx.proto'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`simdnet: the ONNX schema onnx.proto is missing (looked in ${candidates.join(', ')}); reinstall simdnet`);
}

/** onnx.ModelProto, parsed from the schema at first use. */
export function modelProtoType(): protobuf.Type {
  if (modelType === null) {
    const root = new protobuf.Root();
    protobuf.parse(fs.readFileSync(schemaPath(), 'utf8'), root, { keepCase: false });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Serializes a model (plain objects in the shape of the interfaces above). */
export function encodeModelProto(model: ModelProto): Uint8Array {
  const T = modelProtoType();
  const err = T.verify(model);
  if (err) throw new Error(`simdnet: internal error, the ONNX model does not match the schema: ${err}`);
  const b = T.encode(T.fromObject(model)).finish(); // a Buffer in Node: hand out a plain Uint8Array view
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Parses model bytes. Every length in the stream is checked against the bytes that remain (protobufjs), so a
 * truncated or corrupted file is an error and nothing is allocated beyond the file's size.
 * @throws {RangeError} bytes that are not a protobuf ModelProto (naming `label`)
 */
export function decodeModelProto(bytes: Uint8Array, label: string): ModelProto {
  try {
    return modelProtoType().decode(bytes) as unknown as ModelProto;
  } catch (err) {
    throw new RangeError(`${label}: not an ONNX model (truncated or corrupted protobuf: ${(err as Error).message})`);
  }
}

/** An int64 field as a JS number; RangeError when it is not a safe integer. */
export function toInt(v: Int64 | undefined | null, what: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : v.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: ${n} is not an integer JS can hold exactly`);
  if (typeof v !== 'number' && (v.high > 0x1fffff || v.high < -0x200000)) {
    throw new RangeError(`${what}: an integer beyond ±2^53`);
  }
  return n;
}
