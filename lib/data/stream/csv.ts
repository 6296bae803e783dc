/**
 * CSV files larger than memory: `streamCsv` reads the file once in blocks of whole lines (never all of it at
 * once), checks every row exactly as loadCsv does (each block goes through parseCsv, so a bad field, a wrong
 * column count or a bad label fails here, naming the file and the line), and keeps only each row's byte range,
 * line number and label. The decode workers then read the rows of a batch by their byte ranges and parse them
 * with the same parseCsv, so the values are loadCsv's, bit for bit; the split (stratified, seeded) and the row
 * order are loadCsv's too.
 *
 * Row keys: a CSV StreamingDataset's `files` are 'byteOffset:byteLength:line' strings into spec.file.
 */
import * as fs from 'fs';
import { parseCsv, type CsvOptions } from '../csv';
import { stratifiedSplit } from '../split';
import { checkInt, checkNumber, checkShape, invalidRange, invalidType, readOptions } from '../../validate';
import { StreamingDataset, type StreamOptions } from './dataset';

/** How a CSV dataset's rows are read and parsed (structured-clonable). */
export interface CsvSpec {
  kind: 'csv';
  file: string;
  delimiter: string;
  /** Index of the label column. */
  labelColumn: number;
  /** Feature columns per row. */
  features: number;
  normalize: number;
  maxClasses: number;
}

export interface StreamCsvOptions extends Omit<CsvOptions, 'labelColumn' | 'labelColumns'>, StreamOptions {
  /** Index (negative counts from the end) or header name of the label column (default 0; streaming needs one). */
  labelColumn?: number | string;
}

export interface StreamingCsv {
  train: StreamingDataset;
  validation?: StreamingDataset;
  /** Largest label + 1. */
  classCount: number;
  columns?: string[];
}

const BLOCK = 8 << 20;

/** A parse error of a block or batch, its line number moved to the file's (`lineOf(k)`: line k of the text). */
function relined(err: unknown, file: string, lineOf: (k: number) => number): Error {
  const e = err as Error;
  const m = /^csv: (.*?): line (\d+): /.exec(e.message);
  if (!m || m[1] !== file) return e;
  return new RangeError(`csv: ${file}: line ${lineOf(Number(m[2]))}: ${e.message.slice(m[0].length)}`);
}

/** The parse options of a row block: no header, the label column by index, the file's feature count. */
function rowOptions(spec: CsvSpec, shape?: number[]): CsvOptions {
  return {
    header: false, labelColumn: spec.labelColumn, normalize: spec.normalize, maxClasses: spec.maxClasses, delimiter: spec.delimiter,
    shape: shape ?? [spec.features],
  };
}

/**
 * Lists a CSV file for streaming (see the module comment).
 *
 * @example
 * const { train, validation } = await streamCsv('big.csv', { shape: [1, 28, 28], normalize: 255, validationSplit: 0.1 });
 * @throws {TypeError|RangeError} bad options; any row loadCsv would refuse (naming the file and the line)
 */
/** `blockBytes`: bytes read at a time (tests use small blocks to cross lines over block edges). */
export async function streamCsv(file: string, opts: StreamCsvOptions = {}, blockBytes = BLOCK): Promise<StreamingCsv> {
  if (typeof file !== 'string' || file.length === 0) throw invalidType('path', 'a file path', file);
  const o = readOptions<StreamCsvOptions>('streamCsv', opts, [
    'labelColumn', 'header', 'shape', 'normalize', 'validationSplit', 'seed', 'shuffle', 'delimiter', 'maxClasses', 'workers', 'prefetch',
  ]);
  if (o.labelColumn === null) throw invalidRange('labelColumn', 'a label column (streaming trains on labelled rows)', 'null');
  const delimiter = o.delimiter ?? ',';
  const normalize = checkNumber('normalize', o.normalize ?? 1, { min: 0, exclusiveMin: true });
  const maxClasses = checkInt('maxClasses', o.maxClasses ?? 65536, 1, 2 ** 24);
  const validationSplit = checkNumber('validationSplit', o.validationSplit ?? 0, { min: 0, max: 1 });
  if (validationSplit >= 1) throw invalidRange('validationSplit', 'a fraction in [0, 1)', validationSplit);
  const seed = checkInt('seed', o.seed ?? 0, 0, 0xffffffff);
  const shape = o.shape === undefined ? undefined : checkShape('shape', o.shape);

  const fd = await fs.promises.open(file, 'r');
  const keys: string[] = [];
  const labels: number[] = [];
  let spec: CsvSpec | null = null;
  let columns: string[] | undefined;
  let maxLabel = -1;
  try {
    const buf = Buffer.alloc(checkInt('blockBytes', blockBytes, 1));
    let carry = Buffer.alloc(0);
    let pos = 0; // file offset of carry[0]
    let line = 1; // line number of carry's first line
    let eof = false;
    let first = true;
    while (!eof || carry.length > 0) {
      let block: Buffer;
      if (!eof) {
        const { bytesRead } = await fd.read(buf, 0, buf.length, pos + carry.length);
        if (bytesRead === 0) eof = true;
        const all = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        const cut = eof ? all.length : all.lastIndexOf(10) + 1;
        if (cut === 0) {
          carry = all; // no whole line yet
          continue;
        }
        block = all.subarray(0, cut);
        carry = Buffer.from(all.subarray(cut));
      } else {
        block = carry;
        carry = Buffer.alloc(0);
      }
      let start = 0;
      if (first && block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf) start = 3; // BOM, as loadCsv
      // the byte range and line number of every non-blank line of the block
      const rows: { off: number; len: number; line: number }[] = [];
      let ln = line;
      for (let i = start; i < block.length;) {
        let nl = block.indexOf(10, i);
        if (nl < 0) nl = block.length;
        let end = nl;
        if (end > i && block[end - 1] === 13) end--;
        let blank = true;
        for (let k = i; k < end; k++) if (block[k] !== 32 && block[k] !== 9) { blank = false; break; }
        if (!blank) rows.push({ off: pos + i, len: end - i, line: ln });
        ln++;
        i = nl + 1;
      }
      if (first && rows.length < 2 && !eof) {
        carry = Buffer.concat([block, carry]); // the header decision needs two rows: read on
        continue;
      }
      if (first && rows.length > 0) {
        // the header and label column exactly as loadCsv decides them, from the first two rows
        const head = rows.slice(0, 2).map((r) => block.toString('utf8', r.off - pos, r.off - pos + r.len)).join('\n');
        let probe;
        try {
          probe = parseCsv(head, { header: o.header, labelColumn: o.labelColumn ?? 0, delimiter, maxClasses, normalize }, file);
        } catch (err) {
          if (!/a header but no data rows/.test((err as Error).message)) throw relined(err, file, (k) => rows[Math.min(k, rows.length) - 1].line);
          throw new RangeError(`csv: ${file}: a header but no data rows`);
        }
        const hasHeader = probe.columns !== undefined;
        columns = probe.columns;
        const ncol = head.split('\n')[0].split(delimiter).length;
        const lc = o.labelColumn ?? 0;
        const labelColumn = typeof lc === 'string' ? columns!.indexOf(lc) : lc < 0 ? ncol + lc : lc;
        spec = { kind: 'csv', file, delimiter, labelColumn, features: ncol - 1, normalize, maxClasses };
        if (shape && shape.reduce((a, b) => a * b, 1) !== ncol - 1) {
          throw invalidRange('shape', `a shape of size ${ncol - 1} (the feature columns)`, `[${shape.join(', ')}]`);
        }
        if (hasHeader) rows.shift();
        first = false;
      }
      if (rows.length > 0) {
        const text = rows.map((r) => block.toString('utf8', r.off - pos, r.off - pos + r.len)).join('\n');
        let parsed;
        try {
          parsed = parseCsv(text, rowOptions(spec!), file);
        } catch (err) {
          throw relined(err, file, (k) => rows[k - 1].line);
        }
        const l = parsed.train.labels;
        for (let k = 0; k < rows.length; k++) {
          keys.push(`${rows[k].off}:${rows[k].len}:${rows[k].line}`);
          labels.push(l[k]);
          if (l[k] > maxLabel) maxLabel = l[k];
        }
      }
      pos += block.length;
      line = ln;
    }
  } finally {
    await fd.close();
  }
  if (!spec) throw new RangeError(`csv: ${file}: no rows`);
  if (keys.length === 0) throw new RangeError(`csv: ${file}: a header but no data rows`);
  const all = new StreamingDataset(keys, Int32Array.from(labels), spec, { workers: o.workers, prefetch: o.prefetch }, shape);
  const out: StreamingCsv = { train: all, classCount: maxLabel + 1 };
  if (columns) out.columns = columns;
  if (validationSplit > 0 || o.shuffle) {
    const split = stratifiedSplit(all.labels, validationSplit, seed);
    if (!(o.shuffle ?? false)) {
      split.train.sort();
      split.validation.sort();
    }
    if (split.train.length === 0) throw new RangeError(`csv: ${file}: validationSplit ${validationSplit} leaves no training rows out of ${keys.length}`);
    out.train = all.subset(split.train);
    if (split.validation.length > 0) out.validation = all.subset(split.validation);
  }
  return out;
}

const fds = new Map<string, number>();

/**
 * The rows `keys` of a CSV spec, parsed as loadCsv parses them (a worker keeps the file open).
 * @throws {RangeError} a row loadCsv would refuse (naming the file and the line); {Error} the file cannot be read
 */
export function readCsvRows(keys: readonly string[], spec: CsvSpec): Float32Array {
  let fd = fds.get(spec.file);
  if (fd === undefined) {
    try {
      fd = fs.openSync(spec.file, 'r');
    } catch (err) {
      throw new Error(`csv: ${spec.file}: cannot read (${(err as Error).message})`);
    }
    fds.set(spec.file, fd);
  }
  const lines: number[] = [];
  const parts: string[] = [];
  for (const key of keys) {
    const [off, len, line] = key.split(':').map(Number);
    const b = Buffer.alloc(len);
    const n = fs.readSync(fd, b, 0, len, off);
    if (n !== len) throw new Error(`csv: ${spec.file}: line ${line}: the file changed since it was listed (short read)`);
    parts.push(b.toString('utf8'));
    lines.push(line);
  }
  try {
    return parseCsv(parts.join('\n'), rowOptions(spec), spec.file).train.images.data;
  } catch (err) {
    throw relined(err, spec.file, (k) => lines[k - 1]);
  }
}
