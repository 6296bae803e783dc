'use strict';
// The network test/robust/kill-save.test.ts saves and reloads: 784-1024-1024-10, 1.9 M parameters (7.5 MB).
module.exports = (sn) =>
  new sn.MultiLayerNet({ inputSize: 784, hiddenSizeList: [1024, 1024], outputSize: 10, seed: 1, backend: sn.getBackend() });
