/**
 * Jest environment for the tests that run onnxruntime-node. Its native binding creates output tensors' typed
 * arrays in Node's main realm, and onnxruntime-common (loaded inside Jest's sandbox) then checks them with
 * `instanceof Float32Array` of the sandbox's realm, which fails. Here the sandbox uses the main realm's typed
 * arrays and ArrayBuffer, so both sides agree.
 */
'use strict';
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const k of SHARED) this.global[k] = globalThis[k];
  }
}

module.exports = OrtEnvironment;
