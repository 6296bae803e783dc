/**
 * Dataset helpers shared by the loaders: labelled splits, one-hot encoding, deterministic train/validation
 * splits, class weights for imbalanced data.
 */
import { checkI32, checkInt, checkNumber, checkOneOf, invalidRange, invalidType } from '../validate';
import { Rng } from '../rng';
import { Tensor } from '../tensor';

/** Images (or feature rows) [N, …] with their integer class labels. */
export interface LabeledSplit {
  images: Tensor;
  labels: Int32Array;
  /** One-hot labels [N, classes], when asked for. */
  oneHot?: Tensor;
  /**
   * Multi-label targets [N, K] of 0/1 (loadCsv's `labelColumns`), for a network of K sigmoid outputs; `labels` is
   * then -1 (no single class per sample).
   */
  targets?: Tensor;
}

function checkLabels(labels: Int32Array, numClasses: number, name = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y < 0 || y >= numClasses) throw invalidRange(`${name}[${i}]`, `a class index in [0, ${numClasses - 1}]`, y);
  }
}

/**
 * One-hot encodes labels as a [N, numClasses] tensor.
 * @throws {RangeError} a label outside [0, numClasses)
 */
export function oneHot(labels: Int32Array, numClasses: number): Tensor {
  checkI32('labels', labels);
  checkInt('numClasses', numClasses, 1);
  if (labels.length === 0) throw invalidRange('labels', 'at least one label', 'an empty Int32Array');
  checkLabels(labels, numClasses);
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) out[i * numClasses + labels[i]] = 1;
  return new Tensor(out, [labels.length, numClasses]);
}

/** Rows `indices` of a [N, …] tensor, in that order. */
export function gatherRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * row);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out.set(x.data.subarray(i * row, (i + 1) * row), k * row);
  }
  return new Tensor(out, [indices.length, ...x.shape.slice(1)]);
}

/**
 * Splits n samples into train and validation index lists: a permutation from `Rng(seed)` decides which
 * samples go to validation (the last floor(n·validationSplit) of it, as Keras counts); train keeps the permuted order when
 * `shuffle`, else the original order. The same seed always gives the same split.
 */
export function splitIndices(
  n: number,
  validationSplit = 0,
  seed = 0,
  shuffle = true,
): { train: Int32Array; validation: Int32Array } {
  checkInt('n', n, 0);
  checkNumber('validationSplit', validationSplit, { min: 0, max: 1 });
  if (validationSplit >= 1) throw invalidRange('validationSplit', 'a number in [0, 1)', validationSplit);
  const nVal = Math.floor(n * validationSplit); // like Keras: int(validation_split * n)
  const perm = new Rng(seed).permutation(n);
  const train = perm.slice(0, n - nVal);
  const validation = perm.slice(n - nVal);
  if (!shuffle) {
    train.sort();
    validation.sort();
  }
  return { train, validation };
}

/**
 * The samples `indices` of a labelled set.
 *
 * @example
 * const s = subset(x, labels, [2, 0]);   // s.images holds rows 2 and 0 of x, s.labels [labels[2], labels[0]]
 * @throws {TypeError} images is not a Tensor, labels not an Int32Array, indices not an array of numbers
 * @throws {RangeError} labels not one per image, an index that is not an integer in [0, images.shape[0])
 */
export function subset(images: Tensor, labels: Int32Array, indices: ArrayLike<number>): { images: Tensor; labels: Int32Array } {
  if (!(images instanceof Tensor)) throw invalidType('images', 'a Tensor', images);
  checkI32('labels', labels);
  const n = images.shape[0];
  if (labels.length !== n) throw invalidRange('labels', `${n} labels (one per image)`, `${labels.length} labels`);
  if (!Array.isArray(indices) && !(ArrayBuffer.isView(indices) && 'length' in indices)) {
    throw invalidType('indices', 'an array of sample indices', indices);
  }
  for (let k = 0; k < indices.length; k++) checkInt(`indices[${k}]`, indices[k], 0, n - 1);
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) y[k] = labels[indices[k]];
  return { images: gatherRows(images, indices), labels: y };
}

/**
 * Per-class weights for imbalanced data. 'balanced' is scikit-learn's n_samples / (n_classes · count_c);
 * a class with no samples gets weight 0.
 *
 * @example
 * const w = computeClassWeights(labels, 10);          // Float32Array(10)
 * const sw = sampleWeightsFor(labels, w);             // one weight per sample
 * @throws {RangeError} a label outside [0, numClasses)
 */
export function computeClassWeights(labels: Int32Array, numClasses: number, mode: 'balanced' = 'balanced'): Float32Array {
  checkI32('labels', labels);
  checkInt('numClasses', numClasses, 1);
  checkOneOf('mode', mode, ['balanced'] as const);
  checkLabels(labels, numClasses);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const w = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) w[c] = counts[c] > 0 ? labels.length / (numClasses * counts[c]) : 0;
  return w;
}

/**
 * The weight of each sample's class.
 * @throws {RangeError} a label outside [0, classWeights.length)
 */
export function sampleWeightsFor(labels: Int32Array, classWeights: Float32Array | ArrayLike<number>): Float32Array {
  checkI32('labels', labels);
  if (!classWeights || typeof (classWeights as ArrayLike<number>).length !== 'number') {
    throw invalidType('classWeights', 'an array of per-class weights', classWeights);
  }
  checkLabels(labels, classWeights.length);
  const out = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = classWeights[labels[i]];
  return out;
}
