/** lib/validate.ts: one wording for every invalid argument, and options objects refusing unknown keys. */
import { checkF32, checkInt, checkNumber, checkOptions, checkShape, checkUnit, invalidRange, invalidType } from '../lib/validate';

describe('the one wording: "<argument>: expected <what>, got <what came>"', () => {
  test.each([
    [() => checkInt('epochs', '3'), TypeError, 'epochs: expected an integer, got string "3"'],
    [() => checkInt('epochs', 0, 1), RangeError, 'epochs: expected an integer >= 1, got number 0'],
    [() => checkInt('threads', 300, 1, 256), RangeError, 'threads: expected an integer in [1, 256], got number 300'],
    [() => checkNumber('lr', NaN, { min: 0, exclusiveMin: true }), RangeError, 'lr: expected a finite number in (0, Infinity], got number NaN'],
    [() => checkUnit('momentum', 1), RangeError, 'momentum: expected a finite number in [0, 1), got number 1'],
    [() => checkF32('x', new Float32Array(2), 3), RangeError, 'x: expected a Float32Array of at least 3 elements, got length 2'],
    [() => checkF32('x', [1, 2]), TypeError, 'x: expected a Float32Array, got Array(2)'],
    [() => checkShape('inputShape', [1, 0]), RangeError, 'inputShape[1]: expected an integer >= 1, got number 0'],
    [() => { throw invalidType('net', 'a Network', null); }, TypeError, 'net: expected a Network, got null'],
    [() => { throw invalidRange('file', 'a model file', 'x.bin (no header)'); }, RangeError, 'file: expected a model file, got x.bin (no header)'],
  ])('%#', (f, type, message) => {
    expect(f).toThrow(type);
    expect(f).toThrow(message);
  });
});

describe('checkOptions(owner, opts, allowed)', () => {
  const allowed = ['epochs', 'miniBatchSize', 'validationSplit', 'seed'];

  test('returns the options (undefined: {}); keys set to undefined count as not given', () => {
    const o = { epochs: 2, seed: undefined, other: undefined };
    expect(checkOptions('Trainer', o, allowed)).toBe(o);
    expect(checkOptions('Trainer', undefined, allowed)).toEqual({});
  });

  test.each([
    ['epoch', "got unknown option 'epoch' (did you mean 'epochs'?)"],
    ['mini_batch_size', "got unknown option 'mini_batch_size' (did you mean 'miniBatchSize'?)"],
    ['ValidationSplit', "got unknown option 'ValidationSplit' (did you mean 'validationSplit'?)"],
    ['sed', "got unknown option 'sed' (did you mean 'seed'?)"],
    ['optimizer', "got unknown option 'optimizer'"],
  ])('unknown key %s -> RangeError naming it and the nearest allowed key', (key, tail) => {
    const f = () => checkOptions('Trainer', { [key]: 1 }, allowed);
    expect(f).toThrow(RangeError);
    expect(f).toThrow(`Trainer options: expected options among epochs, miniBatchSize, validationSplit, seed, ${tail}`);
    if (!tail.includes('did you mean')) expect(f).not.toThrow(/did you mean/);
  });

  test('not an object -> TypeError', () => {
    expect(() => checkOptions('Trainer', 5, allowed)).toThrow(new TypeError('Trainer options: expected an options object, got number 5'));
    expect(() => checkOptions('Trainer', null, allowed)).toThrow(TypeError);
    expect(() => checkOptions('Trainer', [1], allowed)).toThrow(TypeError);
  });

  test('no allowed keys', () => {
    expect(() => checkOptions('Relu', { x: 1 }, [])).toThrow("Relu options: expected no options, got unknown option 'x'");
  });
});
