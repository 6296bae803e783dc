/**
 * Train/validation splits that never hand back a one-class validation set from class-ordered data: shuffled and
 * stratified by class (scikit-learn's train_test_split(stratify=y) idea), seeded, so the same labels, fraction
 * and seed always give the same split.
 *
 * floor(n · fraction) samples go to validation (as Keras counts), shared out among the classes in proportion to
 * their sizes; each class of ≥ 2 samples gives at least one and keeps at least one (a class with one sample stays
 * in training). The validation and
 * training index lists are each shuffled (one permutation from Rng(seed)), so neither is class-ordered.
 */
import { checkI32, checkInt, checkNumber, invalidRange, invalidType } from '../validate';
import { Rng } from '../rng';

/**
 * Indices of a stratified, shuffled split of `labels` (class indices ≥ 0).
 *
 * @example
 * const { train, validation } = stratifiedSplit(labels, 0.2, 1);
 * @throws {RangeError} a fraction outside [0, 1), a negative label, or a split leaving no training sample
 */
export function stratifiedSplit(labels: Int32Array, fraction: number, seed = 0): { train: Int32Array; validation: Int32Array } {
  checkI32('labels', labels);
  checkNumber('validationSplit', fraction, { min: 0, max: 1 });
  if (fraction >= 1) throw invalidRange('validationSplit', 'a fraction in [0, 1)', fraction);
  checkInt('seed', seed, 0, 0xffffffff);
  const n = labels.length;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!(c >= 0)) throw invalidRange(`labels[${i}]`, 'a class index ≥ 0', c);
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const counts = validationCounts(classes.map((c) => byClass.get(c)!.length), fraction);
  const rng = new Rng(seed);
  const train: number[] = [];
  const validation: number[] = [];
  classes.forEach((c, ci) => {
    const list = byClass.get(c)!;
    const perm = rng.permutation(list.length);
    for (let j = 0; j < list.length; j++) (j < counts[ci] ? validation : train).push(list[perm[j]]);
  });
  if (n > 0 && train.length === 0) throw invalidRange('validationSplit', `a fraction leaving training samples out of ${n}`, fraction);
  return { train: shuffled(train, rng), validation: shuffled(validation, rng) };
}

/**
 * Validation samples per class: floor(n · fraction) in all (Keras' count), shared out in proportion to the class
 * sizes (largest remainders first), then at least 1 and at most n_c − 1 for each class of ≥ 2 samples.
 */
function validationCounts(sizes: number[], fraction: number): number[] {
  if (fraction === 0) return sizes.map(() => 0);
  const n = sizes.reduce((a, b) => a + b, 0);
  const target = Math.floor(n * fraction);
  const k = sizes.map((m) => Math.floor(m * fraction));
  let left = target - k.reduce((a, b) => a + b, 0);
  const order = sizes.map((m, i) => i).sort((a, b) => (sizes[b] * fraction - k[b]) - (sizes[a] * fraction - k[a]) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    k[i]++;
    left--;
  }
  return k.map((v, i) => (sizes[i] < 2 ? 0 : Math.min(Math.max(v, 1), sizes[i] - 1)));
}

function shuffled(idx: number[], rng: Rng): Int32Array {
  const perm = rng.permutation(idx.length);
  return Int32Array.from(perm, (p) => idx[p]);
}

/**
 * Counts per class (index = class) of `labels` at `indices` (all when omitted).
 *
 * @example
 * classCounts(Int32Array.from([0, 2, 2]), 3);   // [1, 0, 2]
 * @throws {TypeError} labels is not an Int32Array, numClasses not a number, indices not an array
 * @throws {RangeError} numClasses not an integer >= 1, a label outside [0, numClasses), an index outside labels
 */
export function classCounts(labels: Int32Array, numClasses: number, indices?: ArrayLike<number>): number[] {
  checkI32('labels', labels);
  checkInt('numClasses', numClasses, 1);
  if (indices !== undefined && !Array.isArray(indices) && !(ArrayBuffer.isView(indices) && 'length' in indices)) {
    throw invalidType('indices', 'an array of sample indices', indices);
  }
  const out = new Array<number>(numClasses).fill(0);
  const n = indices ? indices.length : labels.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? checkInt(`indices[${k}]`, indices[k], 0, labels.length - 1) : k;
    const c = labels[i];
    if (!(c >= 0 && c < numClasses)) throw invalidRange(`labels[${i}]`, `a class in [0, ${numClasses})`, c);
    out[c]++;
  }
  return out;
}
