/**
 * Numeric CSV files as a labelled dataset, e.g. Kaggle's digit-recognizer train.csv
 * (header "label,pixel0,…,pixel783", one image per row): one integer label column, the other columns are
 * the features, reshaped to `shape` per row.
 */
import * as fs from 'fs';
import { checkInt, checkNumber, checkShape, invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { gatherRows, LabeledSplit, splitIndices, subset } from './dataset';
import { stratifiedSplit } from './split';
import { readOptions } from '../validate';

export interface CsvOptions {
  /** Index (negative counts from the end) or header name of the label column; null: no labels. Default 0. */
  labelColumn?: number | string | null;
  /**
   * Multi-label data: several label columns (indices or header names), each 0 or 1, read into `targets` [N, K]
   * (in this order) for a network of K sigmoid outputs (SigmoidWithLoss); instead of labelColumn. The validation
   * split is then a seeded random pick (no single class to stratify by).
   */
  labelColumns?: (number | string)[];
  /**
   * Whether the first row is a header; 'auto' (default): it is when none of its fields is a number. A first row
   * mixing numbers and non-numbers (a data row with a typo) is an error naming the column: pass `header: true`
   * if such a row really is a header.
   */
  header?: boolean | 'auto';
  /** Per-row shape of the features, e.g. [1, 28, 28]; default [features]. */
  shape?: number[];
  /** Divide every feature by this (e.g. 255); default 1. */
  normalize?: number;
  /** Fraction of rows held out for validation, in [0, 1) (default 0). */
  validationSplit?: number;
  /** Seed of the validation pick (lib/rng.ts), default 0. */
  seed?: number;
  /** Shuffle the training rows (default false: file order). */
  shuffle?: boolean;
  /** Field separator (default ','). */
  delimiter?: string;
  /** Labels must be integers in [0, maxClasses) (default 65536, at most 2^24): a typo of 2^31 − 1 makes no 2^31 classes. */
  maxClasses?: number;
}

const OPTION_KEYS = ['labelColumn', 'labelColumns', 'header', 'shape', 'normalize', 'validationSplit', 'seed', 'shuffle', 'delimiter', 'maxClasses'];
/** Largest finite float32: a field beyond it would be stored as ±Infinity. */
const F32_MAX = 3.4028234663852886e38;
/** Decimal numbers only: no hex/octal/binary (`0x10` is not 16), no Infinity/NaN words. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface CsvData {
  train: LabeledSplit;
  validation?: LabeledSplit;
  /** Largest label + 1 (0 without labels); with labelColumns, the number of label columns. */
  classCount: number;
  /** The header's column names, when there is a header. */
  columns?: string[];
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"' ? t.slice(1, -1).replace(/""/g, '"') : t;
}

/** Parses a field as a number; NaN when it is not one. Fast path for plain decimal integers. */
function parseField(line: string, a: number, b: number): number {
  let v = 0;
  let i = a;
  while (i < b && line.charCodeAt(i) === 32) i++;
  let end = b;
  while (end > i && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  if (i === end) return NaN;
  let neg = false;
  if (line.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  const digitsStart = i;
  for (; i < end; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || i - digitsStart > 14) break;
    v = v * 10 + c;
  }
  if (i === end && i > digitsStart) return neg ? -v : v;
  const s = unquote(line.slice(a, b));
  return DECIMAL.test(s) ? Number(s) : NaN;
}

/**
 * Loads a numeric CSV file.
 *
 * @example
 * const { train, validation } = loadCsv('train.csv', { shape: [1, 28, 28], normalize: 255, validationSplit: 0.1 });
 * train.images.shape;   // [37800, 1, 28, 28]
 * @throws {TypeError|RangeError} bad options
 * @throws {RangeError} a row with the wrong number of columns, a field that is not a decimal number or is beyond
 *   the float32 range, a label that is not an integer in [0, maxClasses), a first row mixing numbers and text
 *   under header 'auto' (the message gives the file, line and column); shape not matching the feature count
 */
export function loadCsv(file: string, opts: CsvOptions = {}): CsvData {
  if (typeof file !== 'string' || file.length === 0) throw invalidType('path', 'a file path', file);
  readOptions('loadCsv', opts, OPTION_KEYS); // before reading the file
  return parseCsv(fs.readFileSync(file, 'utf8'), opts, file);
}

/**
 * Parses numeric CSV text (what loadCsv does after reading the file); `name` stands for the file in errors.
 *
 * @example
 * const { train } = parseCsv('label,a,b\n1,0.5,2\n', { labelColumn: 'label' });
 * @throws {TypeError|RangeError} see loadCsv
 */
export function parseCsv(csvText: string, opts: CsvOptions = {}, name = '<text>'): CsvData {
  if (typeof csvText !== 'string') throw invalidType('csvText', 'a string', csvText);
  const file = name;
  opts = readOptions<CsvOptions>('loadCsv', opts, OPTION_KEYS);
  const maxClasses = checkInt('maxClasses', opts.maxClasses ?? 65536, 1, 2 ** 24);
  const delimiter = opts.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1) throw invalidType('delimiter', 'a one-character string', delimiter);
  const normalize = checkNumber('normalize', opts.normalize ?? 1, { min: 0, exclusiveMin: true });
  const validationSplit = checkNumber('validationSplit', opts.validationSplit ?? 0, { min: 0, max: 1 });
  const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);
  const headerOpt = opts.header ?? 'auto';
  if (headerOpt !== true && headerOpt !== false && headerOpt !== 'auto') throw invalidType('header', "true, false or 'auto'", headerOpt);
  const multiOpt = opts.labelColumns;
  if (multiOpt !== undefined) {
    if (!Array.isArray(multiOpt) || multiOpt.length === 0) throw invalidType('labelColumns', 'a non-empty array of column indices or header names', multiOpt);
    if (opts.labelColumn !== undefined) throw invalidRange('labelColumn', 'absent when labelColumns is given (one or the other)', opts.labelColumn);
  }
  const labelOpt = multiOpt !== undefined ? null : opts.labelColumn === undefined ? 0 : opts.labelColumn;
  if (labelOpt !== null && typeof labelOpt !== 'number' && typeof labelOpt !== 'string') {
    throw invalidType('labelColumn', 'a column index, a header name or null', labelOpt);
  }

  let text = csvText;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const dc = delimiter.charCodeAt(0);
  const fail = (line: number, msg: string): never => {
    throw new RangeError(`csv: ${file}: line ${line}: ${msg}`);
  };

  let pos = 0;
  let lineNo = 0;
  /** The next non-blank line as [start, end) in `text`, or null at the end. */
  const nextLine = (): [number, number] | null => {
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      const start = pos;
      pos = nl + 1;
      lineNo++;
      for (let i = start; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c !== 32 && c !== 9) return [start, end];
      }
    }
    return null;
  };
  const fieldsOf = (a: number, b: number): number[] => {
    const cuts = [a];
    for (let i = a; i < b; i++) if (text.charCodeAt(i) === dc) cuts.push(i + 1);
    cuts.push(b + 1);
    return cuts;
  };

  const first = nextLine();
  if (!first) throw new RangeError(`csv: ${file}: no rows`);
  const firstCuts = fieldsOf(first[0], first[1]);
  const ncol = firstCuts.length - 1;
  const firstValues: number[] = [];
  for (let k = 0; k < ncol; k++) firstValues.push(parseField(text, firstCuts[k], firstCuts[k + 1] - 1));
  // A header has no numeric field and some non-empty one (an empty field alone is a bad data row); a row mixing
  // numbers and text is a data row with a typo, not a header to drop silently.
  const textual = firstValues.map((v, k) => !Number.isFinite(v) && unquote(text.slice(firstCuts[k], firstCuts[k + 1] - 1)) !== '');
  const looksLikeHeader = textual.some((t) => t) && firstValues.every((v) => !Number.isFinite(v));
  if (headerOpt === 'auto' && !looksLikeHeader && textual.some((t) => t)) {
    const k = textual.indexOf(true);
    fail(lineNo, `column ${k + 1}: ${JSON.stringify(text.slice(firstCuts[k], Math.min(firstCuts[k + 1] - 1, firstCuts[k] + 40)))} is not a number ` +
      `(the other fields of this first row are numbers, so it is not taken as a header; pass header: true if it is one)`);
  }
  const hasHeader = headerOpt === 'auto' ? looksLikeHeader : headerOpt;
  let columns: string[] | undefined;
  if (hasHeader) {
    columns = [];
    for (let k = 0; k < ncol; k++) columns.push(unquote(text.slice(firstCuts[k], firstCuts[k + 1] - 1)));
  }

  let labelCol = -1;
  if (typeof labelOpt === 'string') {
    if (!columns) throw invalidRange('labelColumn', 'a column index (the file has no header row)', `'${labelOpt}'`);
    labelCol = columns.indexOf(labelOpt);
    if (labelCol < 0) throw invalidRange('labelColumn', `one of the header's columns`, `'${labelOpt}'`);
  } else if (typeof labelOpt === 'number') {
    checkInt('labelColumn', labelOpt, -ncol, ncol - 1);
    labelCol = labelOpt < 0 ? ncol + labelOpt : labelOpt;
  }
  // multi-label columns: isTarget[col] = its index in the targets row + 1 (0: not a target column)
  const isTarget = new Int32Array(ncol);
  const K = multiOpt?.length ?? 0;
  (multiOpt ?? []).forEach((c, k) => {
    let col: number;
    if (typeof c === 'string') {
      if (!columns) throw invalidRange(`labelColumns[${k}]`, 'a column index (the file has no header row)', `'${c}'`);
      col = columns.indexOf(c);
      if (col < 0) throw invalidRange(`labelColumns[${k}]`, `one of the header's columns`, `'${c}'`);
    } else {
      checkInt(`labelColumns[${k}]`, c, -ncol, ncol - 1);
      col = c < 0 ? ncol + c : c;
    }
    if (isTarget[col]) throw invalidRange(`labelColumns[${k}]`, 'a column not listed before', `column ${col + 1} again`);
    isTarget[col] = k + 1;
  });
  const nfeat = ncol - (labelCol >= 0 ? 1 : 0) - K;
  if (nfeat < 1) throw new RangeError(`csv: ${file}: no feature columns (${ncol} column${ncol === 1 ? '' : 's'})`);
  const shape = opts.shape === undefined ? [nfeat] : checkShape('shape', opts.shape);
  const per = shape.reduce((a, b) => a * b, 1);
  if (per !== nfeat) throw invalidRange('shape', `a shape of size ${nfeat} (the feature columns)`, `[${shape.join(', ')}] (size ${per})`);

  // Upper bound on the number of rows: the first line plus the lines left.
  let maxRows = 2;
  for (let i = text.indexOf('\n', pos); i >= 0; i = text.indexOf('\n', i + 1)) maxRows++;
  const data = new Float32Array(maxRows * nfeat);
  const labels = new Int32Array(labelCol >= 0 ? maxRows : 0);
  const targets = new Float32Array(maxRows * K);
  let rows = 0;
  let maxLabel = -1;
  let line: [number, number] | null = hasHeader ? nextLine() : first;
  let lineOfRow = hasHeader ? lineNo : 1;
  while (line) {
    const [a, b] = line;
    let f = 0;
    let col = 0;
    const o = rows * nfeat;
    let i = a;
    for (;;) {
      if (col >= ncol) fail(lineOfRow, `expected ${ncol} columns, got more`);
      // Fast path: a plain decimal integer ending at the delimiter or the end of the line.
      let j = i;
      let v = 0;
      const neg = j < b && text.charCodeAt(j) === 45;
      if (neg) j++;
      const ds = j;
      for (; j < b; j++) {
        const c = text.charCodeAt(j) - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (j > ds && j - ds <= 15 && (j === b || text.charCodeAt(j) === dc)) {
        if (neg) v = -v;
      } else {
        let k = text.indexOf(delimiter, j);
        if (k < 0 || k > b) k = b;
        j = k;
        v = parseField(text, i, j);
        if (!Number.isFinite(v)) fail(lineOfRow, `column ${col + 1}: ${JSON.stringify(text.slice(i, Math.min(j, i + 40)))} is not a number`);
      }
      if (col === labelCol) {
        if (!Number.isInteger(v) || v < 0) fail(lineOfRow, `column ${col + 1}: label ${v} is not an integer ≥ 0`);
        if (v >= maxClasses) fail(lineOfRow, `column ${col + 1}: label ${v} is not below maxClasses ${maxClasses} (pass a larger maxClasses if the data has that many classes)`);
        labels[rows] = v;
        if (v > maxLabel) maxLabel = v;
      } else if (isTarget[col]) {
        if (v !== 0 && v !== 1) fail(lineOfRow, `column ${col + 1}: label ${v} is not 0 or 1 (a labelColumns column)`);
        targets[rows * K + isTarget[col] - 1] = v;
      } else {
        const x = v / normalize;
        if (!(x <= F32_MAX && x >= -F32_MAX)) fail(lineOfRow, `column ${col + 1}: ${JSON.stringify(text.slice(i, Math.min(j, i + 40)))}${normalize === 1 ? '' : ` / ${normalize}`} is beyond the float32 range (±3.4e38)`);
        data[o + f++] = x;
      }
      col++;
      if (j >= b) break;
      i = j + 1; // past the delimiter
    }
    if (col !== ncol) fail(lineOfRow, `expected ${ncol} columns, got ${col}`);
    rows++;
    line = nextLine();
    lineOfRow = lineNo;
  }
  if (rows === 0) throw new RangeError(`csv: ${file}: a header but no data rows`);

  const images = new Tensor(data.slice(0, rows * nfeat), [rows, ...shape]);
  const allLabels = labelCol >= 0 ? labels.slice(0, rows) : new Int32Array(rows).fill(-1);
  const allTargets = K > 0 ? new Tensor(targets.slice(0, rows * K), [rows, K]) : null;
  const result: CsvData = { train: { images, labels: allLabels, ...(allTargets ? { targets: allTargets } : {}) }, classCount: K > 0 ? K : maxLabel + 1 };
  if (columns) result.columns = columns;
  if (validationSplit > 0 || opts.shuffle) {
    // with labels: stratified by class and shuffled (lib/data/split.ts), so sorted files never give a one-class
    // validation set; without labels: a seeded random pick
    if (validationSplit >= 1) throw new RangeError(`csv: ${file}: validationSplit: expected a fraction in [0, 1), got ${validationSplit}`);
    const split = labelCol >= 0 ? stratifiedSplit(allLabels, validationSplit, seed) : splitIndices(rows, validationSplit, seed, true);
    if (!(opts.shuffle ?? false)) {
      split.train.sort();
      split.validation.sort();
    }
    if (split.train.length === 0) throw new RangeError(`csv: ${file}: validationSplit ${validationSplit} leaves no training rows out of ${rows}`);
    const part = (idx: Int32Array): LabeledSplit => ({ ...subset(images, allLabels, idx), ...(allTargets ? { targets: gatherRows(allTargets, idx) } : {}) });
    result.train = part(split.train);
    if (split.validation.length > 0) result.validation = part(split.validation);
  }
  return result;
}
