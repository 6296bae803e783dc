'use strict';
// The hostile values of each kind of argument, for the bad-input table (table.js). Every value listed under a
// kind must be refused by an argument of that kind with a TypeError or RangeError naming the argument. Plain
// JS, shared by the jest test and the child process that runs the cases.
// Optional arguments (kinds opt*): undefined and null both mean the default (the optimizers' documented rule,
// followed by every `opts.x ?? default`), so neither is listed as hostile there.

const notObjects = [
  ['null', () => null],
  ['a number', () => 42],
  ['a string', () => 'x'],
];

const KINDS = {
  // an integer >= 1 (sizes, counts)
  dim: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['0', () => 0],
    ['-1', () => -1],
    ['1.5', () => 1.5],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['a numeric string', () => '3'],
    ['a boolean', () => true],
    ['an object', () => ({})],
    ['a bigint', () => 3n],
  ],
  // an optional integer >= 0 (undefined means the default)
  optNonNegInt: [
    ['-1', () => -1],
    ['2.5', () => 2.5],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['a numeric string', () => '1'],
  ],
  // an optional integer >= 1
  optDim: [
    ['0', () => 0],
    ['-2', () => -2],
    ['1.5', () => 1.5],
    ['NaN', () => NaN],
    ['a numeric string', () => '2'],
  ],
  // an optional finite number (a hyperparameter)
  optNumber: [
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['-Infinity', () => -Infinity],
    ['a numeric string', () => '0.1'],
    ['an object', () => ({})],
  ],
  // an optional finite number in [0, 1)
  optRatio: [
    ['NaN', () => NaN],
    ['-0.1', () => -0.1],
    ['1.5', () => 1.5],
    ['Infinity', () => Infinity],
    ['a numeric string', () => '0.5'],
  ],
  // an optional positive number (learning rate, eps)
  optPositive: [
    ['NaN', () => NaN],
    ['0', () => 0],
    ['-0.01', () => -0.01],
    ['Infinity', () => Infinity],
    ['a numeric string', () => '0.01'],
  ],
  // an optional seed (an integer)
  optSeed: [
    ['1.5', () => 1.5],
    ['NaN', () => NaN],
    ['-1', () => -1],
    ['a string', () => '7'],
  ],
  // an optional boolean
  optBool: [
    ['a string', () => 'true'],
    ['a number', () => 1],
  ],
  // a Tensor (the row's `good` value is the shape it needs)
  tensor: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a plain object', () => ({ data: new Float32Array(4), shape: [2, 2] })],
    ['an Array', () => [1, 2, 3, 4]],
    ['a Float32Array', () => new Float32Array(4)],
    ['a string', () => 'x'],
  ],
  // a Float32Array
  f32: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['an Array', () => [1, 2]],
    ['a Float64Array', () => new Float64Array(2)],
    ['an Int32Array', () => new Int32Array(2)],
    ['a string', () => 'x'],
  ],
  // integer class labels (Int32Array) or a one-hot Tensor
  target: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['an Array', () => [0, 1]],
    ['a Float32Array', () => new Float32Array(2)],
    ['a Uint8Array', () => new Uint8Array(2)],
    ['a string', () => '01'],
  ],
  // a shape: an array of positive integers
  shape: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a number', () => 4],
    ['a zero dimension', () => [2, 0]],
    ['a negative dimension', () => [-1, 4]],
    ['a fractional dimension', () => [2.5, 2]],
    ['a NaN dimension', () => [NaN]],
    ['a string dimension', () => ['2', 2]],
    ['a string', () => '2,2'],
  ],
  // a non-empty path string
  path: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['an empty string', () => ''],
    ['a number', () => 42],
    ['an object', () => ({})],
  ],
  // a string naming one of a fixed set
  choice: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['an unknown name', () => 'no-such-choice'],
    ['a number', () => 1],
  ],
  // an optional string naming one of a fixed set
  optChoice: [
    ['an unknown name', () => 'no-such-choice'],
    ['a number', () => 1],
  ],
  // an optional shape
  optShape: [
    ['a number', () => 4],
    ['a zero dimension', () => [2, 0]],
    ['a negative dimension', () => [-1, 4]],
    ['a fractional dimension', () => [2.5, 2]],
    ['a string', () => '2,2'],
  ],
  // an options object: not an object, or carrying a key nobody reads (added to a valid options object)
  options: [
    ...notObjects,
    ['an Array', () => []],
    ['an unknown key', (sn, good) => ({ ...good, noSuchOption: 1 })],
  ],
  // a network (Network instance)
  network: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a plain object', () => ({ predict() {} })],
    ['a number', () => 42],
  ],
  // bytes (Uint8Array)
  bytes: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a string', () => 'PK'],
    ['an Array', () => [80, 75]],
    ['a number', () => 3],
  ],
};

module.exports = { KINDS };
