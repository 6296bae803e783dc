/**
 * One image file -> float planes, exactly as loadImageFolder prepares it (decodeImage, then imageToPlanes), for
 * the streaming dataset's decode workers and its synchronous `load()`. `ImageSpec` is everything a worker needs
 * besides the file names: plain data, so it travels in messages.
 */
import * as fs from 'fs';
import { decodeImage, imageToPlanes, type DecodeOptions } from '../images';
import { readCsvRows, type CsvSpec } from './csv';

/** How the rows of a streaming image dataset are prepared (structured-clonable). */
export interface ImageSpec {
  kind?: 'images';
  /** Output [height, width]. */
  size: [number, number];
  colorMode: 'grayscale' | 'rgb';
  interpolation: 'bilinear' | 'nearest';
  alpha: 'drop' | 'white' | 'black';
  /** True when targetSize was given (every image is resized); false: every image must be `size` already. */
  resize: boolean;
  /** The file that fixed `size` when it was not given (named in the size-mismatch error). */
  sizeFrom: string;
  decode: DecodeOptions;
}

/** How a streaming dataset's rows are read: image files, or rows of a CSV file (lib/data/stream/csv.ts). */
export type RowSpec = ImageSpec | CsvSpec;

/** The per-row shape a spec gives by default: [C, H, W] for images, [features] for CSV rows. */
export function defaultRowShape(spec: RowSpec): number[] {
  if (spec.kind === 'csv') return [spec.features];
  return [spec.colorMode === 'grayscale' ? 1 : 3, spec.size[0], spec.size[1]];
}

/** Values per row: C·H·W, or the CSV's feature count. */
export function rowSize(spec: RowSpec): number {
  return defaultRowShape(spec).reduce((a, b) => a * b, 1);
}

/**
 * Reads, decodes and prepares `file` into dst[offset … offset + rowSize).
 * @throws {Error} unreadable file; {RangeError} not a PNG/JPEG or corrupt; {Error} another size without resize —
 *   every message names the file, worded as loadImageFolder words it
 */
export function prepareFile(file: string, spec: ImageSpec, dst: Float32Array, offset: number): void {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`images: ${file}: cannot read (${(err as Error).message})`);
  }
  const img = decodeImage(bytes, file, spec.decode);
  const [h, w] = spec.size;
  if (!spec.resize && (img.height !== h || img.width !== w)) {
    throw new Error(`images: ${file} is ${img.height}x${img.width} (HxW), but ${spec.sizeFrom} is ${h}x${w}; pass targetSize to resize every image`);
  }
  imageToPlanes(img, dst, offset, spec.size, spec.colorMode, spec.interpolation, spec.alpha);
}

/** Rows `files` prepared into one new array [files.length · rowSize] (CSV: `files` are row keys, see csv.ts). */
export function prepareFiles(files: readonly string[], spec: RowSpec): Float32Array {
  if (spec.kind === 'csv') return readCsvRows(files, spec);
  const per = rowSize(spec);
  const out = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) prepareFile(files[i], spec, out, i * per);
  return out;
}
