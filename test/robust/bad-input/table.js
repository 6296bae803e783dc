'use strict';
// The bad-input table: the package's public entry points, each with a valid call and the kind of each argument.
// cases() crosses every argument with the hostile values of its kind (kinds.js): each case must throw a
// TypeError or RangeError whose message names the argument (`name`, or `names` when the message words it
// differently). Options arguments list their fields; each field is crossed with its own kind, and the options
// object itself with the `options` kind (not an object, or an unknown key: unknown options are refused).
// ODD lists valid-but-odd inputs with their documented result.
//
// To add an entry point: add a row { entry, args, call } (and `setup` for a method: it builds the receiver). The
// meta test in bad-input.test.ts fails for any export of the package that no row and no entry of NOT_ENTRY_POINTS
// covers. Plain JS: the jest test enumerates the cases, a child process (children/bad-input-run.js) runs them.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { KINDS } = require('./kinds');

// A scratch directory for the entry points that write files (made on first use, per process).
let scratch = null;
const scratchFile = (name) => {
  scratch = scratch || fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-bad-input-'));
  return path.join(scratch, name);
};

const t = (sn, shape) => sn.Tensor.zeros(shape);
const labels = (...v) => Int32Array.from(v);

// Options fields shared by the layers (backend is robust-ts's check; its cases live with theirs).
const seedField = { name: 'seed', kind: 'optSeed' };

/** Layers: constructor rows and forward/backward rows. inShape is a valid input. */
const LAYERS = [
  // Affine(outputSize, opts) is the documented short form: an object second argument is options, not outputSize.
  { cls: 'Affine', args: [{ name: 'inputSize', kind: 'dim', good: 4 }, { name: 'outputSize', kind: 'dim', good: 3, exclude: ['an object'] }],
    fields: [seedField], inShape: [2, 4] },
  { cls: 'Convolution', args: [{ name: 'inChannels', kind: 'dim', good: 1 }, { name: 'filterNum', kind: 'dim', good: 2 },
    { name: 'filterSize', kind: 'dim', good: 3 }], fields: [{ name: 'stride', kind: 'optDim' }, { name: 'pad', kind: 'optNonNegInt' }, seedField],
    inShape: [2, 1, 5, 5] },
  { cls: 'Pooling', args: [{ name: 'poolH', kind: 'dim', good: 2 }, { name: 'poolW', kind: 'dim', good: 2 }],
    fields: [{ name: 'stride', kind: 'optDim' }, { name: 'pad', kind: 'optNonNegInt' }, { name: 'mode', kind: 'optChoice' }], inShape: [2, 1, 4, 4] },
  { cls: 'GlobalAvgPool', args: [], fields: [], inShape: [2, 3, 4, 4] },
  { cls: 'GlobalMaxPool', args: [], fields: [], inShape: [2, 3, 4, 4] },
  { cls: 'Relu', args: [], fields: [], inShape: [2, 3] },
  { cls: 'Sigmoid', args: [], fields: [], inShape: [2, 3] },
  { cls: 'Tanh', args: [], fields: [], inShape: [2, 3] },
  { cls: 'LeakyReLU', args: [{ name: 'alpha', kind: 'optNumber', good: 0.01 }], fields: [], inShape: [2, 3] },
  { cls: 'Dropout', args: [{ name: 'ratio', kind: 'optRatio', good: 0.5 }], fields: [{ name: 'mode', kind: 'optChoice' }, seedField], inShape: [2, 3] },
  { cls: 'BatchNormalization', args: [{ name: 'numFeatures', kind: 'dim', good: 3 }],
    fields: [{ name: 'momentum', kind: 'optRatio' }, { name: 'eps', kind: 'optPositive' }, { name: 'axis', kind: 'optChoice' }], inShape: [2, 3] },
];

const LOSSES = [
  { cls: 'SoftmaxWithLoss', inShape: [2, 3], target: () => labels(0, 2) },
  { cls: 'SigmoidWithLoss', inShape: [2, 3], target: (sn) => t(sn, [2, 3]) },
  { cls: 'MeanSquaredError', inShape: [2, 3], target: (sn) => t(sn, [2, 3]) },
];

const OPTIMIZERS = [
  { cls: 'SGD', fields: [{ name: 'lr', kind: 'optPositive' }] },
  { cls: 'Momentum', fields: [{ name: 'lr', kind: 'optPositive' }, { name: 'momentum', kind: 'optRatio' }] },
  { cls: 'Nesterov', fields: [{ name: 'lr', kind: 'optPositive' }, { name: 'momentum', kind: 'optRatio' }] },
  { cls: 'AdaGrad', fields: [{ name: 'lr', kind: 'optPositive' }] },
  { cls: 'RMSprop', fields: [{ name: 'lr', kind: 'optPositive' }, { name: 'decayRate', kind: 'optRatio' }] },
  { cls: 'Adam', fields: [{ name: 'lr', kind: 'optPositive' }, { name: 'beta1', kind: 'optRatio' }, { name: 'beta2', kind: 'optRatio' }] },
  { cls: 'AdamW', fields: [{ name: 'lr', kind: 'optPositive' }, { name: 'beta1', kind: 'optRatio' }, { name: 'beta2', kind: 'optRatio' }] },
];

const smallNet = (sn) =>
  new sn.MultiLayerNet({ inputSize: 4, hiddenSizeList: [5], outputSize: 3, seed: 1 });

const netFields = [{ name: 'seed', kind: 'optSeed' }, { name: 'weightDecayLambda', kind: 'optNumber' }];

const ROWS = [
  // ---- Tensor ----
  { entry: 'Tensor', args: [{ name: 'data', kind: 'f32', good: () => new Float32Array(4) }, { name: 'shape', kind: 'shape', good: () => [2, 2] }],
    call: (sn, a) => new sn.Tensor(a[0], a[1]) },
  { entry: 'Tensor.zeros', args: [{ name: 'shape', kind: 'shape', good: () => [2, 2] }], call: (sn, a) => sn.Tensor.zeros(a[0]) },
  { entry: 'Tensor.from', args: [{ name: 'shape', kind: 'shape', good: () => [2, 2] }], call: (sn, a) => sn.Tensor.from([1, 2, 3, 4], a[0]) },
  { entry: 'Tensor#reshape', setup: (sn) => t(sn, [2, 2]), args: [{ name: 'shape', kind: 'shape', good: () => [4] }],
    call: (sn, a, x) => x.reshape(a[0]) },
  // ---- Rng ----
  { entry: 'Rng', args: [{ name: 'seed', kind: 'optSeed', good: 1 }], call: (sn, a) => new sn.Rng(a[0]) },
  { entry: 'Rng#int', setup: (sn) => new sn.Rng(1), args: [{ name: 'n', kind: 'dim', good: 5 }], call: (sn, a, r) => r.int(a[0]) },
  { entry: 'Rng#permutation', setup: (sn) => new sn.Rng(1), args: [{ name: 'n', kind: 'dim', good: 5, exclude: ['0'] }], call: (sn, a, r) => r.permutation(a[0]) },
  // ---- backend ----
  { entry: 'useBackend', args: [{ name: 'backend', kind: 'choice', good: () => 'ts' }], call: (sn, a) => sn.useBackend(a[0]), restoresBackend: true },
  { entry: 'setThreads', args: [{ name: 'threads', kind: 'dim', good: 1 }], call: (sn, a) => sn.setThreads(a[0]) },
  // ---- layers: constructors, forward, backward ----
  ...LAYERS.flatMap((L) => [
    {
      entry: L.cls,
      args: [...L.args, { name: `${L.cls} options`, kind: 'options', good: () => ({}), fields: L.fields }],
      call: (sn, a) => new sn[L.cls](...a),
    },
    { entry: `${L.cls}#forward`, setup: (sn) => new sn[L.cls](...L.args.map((x) => x.good)),
      args: [{ name: 'input', kind: 'tensor', good: (sn) => t(sn, L.inShape) }], call: (sn, a, l) => l.forward(a[0], true) },
    { entry: `${L.cls}#backward`, setup: (sn) => { const l = new sn[L.cls](...L.args.map((x) => x.good)); l.forward(t(sn, L.inShape), true); return l; },
      args: [{ name: 'dout', kind: 'tensor', good: (sn, l) => t(sn, l.outputShape(L.inShape)) }], call: (sn, a, l) => l.backward(a[0]) },
  ]),
  { entry: 'Affine#forward', setup: (sn) => new sn.Affine(4, 3), args: [{ name: 'input', kind: 'shapeMismatch', good: (sn) => t(sn, [2, 4]) }],
    call: (sn, a, l) => l.forward(a[0], true) },
  ...LOSSES.flatMap((L) => [
    { entry: L.cls, args: [{ name: `${L.cls} options`, kind: 'options', good: () => ({}), fields: [] }], call: (sn, a) => new sn[L.cls](a[0]) },
    { entry: `${L.cls}#forwardLoss`, setup: (sn) => new sn[L.cls](),
      args: [{ name: 'input', kind: 'tensor', good: (sn) => t(sn, L.inShape) }, { name: 'target', kind: 'target', good: L.target }],
      call: (sn, a, l) => l.forwardLoss(a[0], a[1]) },
  ]),
  // ---- networks ----
  { entry: 'MultiLayerNet', args: [{ name: 'MultiLayerNet options', kind: 'options', good: () => ({ inputSize: 4, hiddenSizeList: [5], outputSize: 3 }),
    fields: [{ name: 'inputSize', kind: 'dim' }, { name: 'outputSize', kind: 'dim' }, { name: 'hiddenSizeList', kind: 'shape' }, ...netFields] }],
    call: (sn, a) => new sn.MultiLayerNet(a[0]) },
  { entry: 'MultiLayerNetExtend', args: [{ name: 'MultiLayerNetExtend options', kind: 'options', good: () => ({ inputSize: 4, hiddenSizeList: [5], outputSize: 3 }),
    fields: [{ name: 'inputSize', kind: 'dim' }, { name: 'outputSize', kind: 'dim' }, { name: 'dropoutRatio', kind: 'optRatio' },
      { name: 'useDropout', kind: 'optBool' }, { name: 'useBatchnorm', kind: 'optBool' }, ...netFields] }],
    call: (sn, a) => new sn.MultiLayerNetExtend(a[0]) },
  { entry: 'SimpleConvNet', args: [{ name: 'SimpleConvNet options', kind: 'options', good: () => ({ inputDim: [1, 8, 8], hiddenSize: 4, outputSize: 3 }),
    fields: [{ name: 'inputDim', kind: 'optShape' }, { name: 'hiddenSize', kind: 'optDim' }, { name: 'outputSize', kind: 'optDim' }, ...netFields] }],
    call: (sn, a) => new sn.SimpleConvNet(a[0]) },
  { entry: 'DeepConvNet', args: [{ name: 'DeepConvNet options', kind: 'options', good: () => ({ inputDim: [1, 28, 28], outputSize: 3 }),
    fields: [{ name: 'inputDim', kind: 'optShape' }, { name: 'outputSize', kind: 'optDim' }, ...netFields] }],
    call: (sn, a) => new sn.DeepConvNet(a[0]) },
  { entry: 'Sequential', args: [{ name: 'layers', kind: 'layers', good: (sn) => [new sn.Affine(4, 3), new sn.SoftmaxWithLoss()] },
    { name: 'Sequential options', kind: 'options', good: () => ({ inputShape: [4] }), fields: [{ name: 'inputShape', kind: 'optShape' }, ...netFields] }],
    call: (sn, a) => new sn.Sequential(a[0], a[1]) },
  { entry: 'Network#predict', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) }],
    call: (sn, a, n) => n.predict(a[0]) },
  { entry: 'Network#predict', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'shapeMismatch', good: (sn) => t(sn, [2, 4]) }],
    call: (sn, a, n) => n.predict(a[0]) },
  { entry: 'Network#loss', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) },
    { name: 'target', names: ['target', 'labels', 't'], kind: 'target', good: () => labels(0, 2) }], call: (sn, a, n) => n.loss(a[0], a[1]) },
  { entry: 'Network#gradient', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) },
    { name: 'target', names: ['target', 'labels', 't'], kind: 'target', good: () => labels(0, 2) }], call: (sn, a, n) => n.gradient(a[0], a[1]) },
  { entry: 'Network#gradient', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) },
    { name: 'labels', kind: 'labelValues', good: () => labels(0, 2) }], call: (sn, a, n) => n.gradient(a[0], a[1]) },
  { entry: 'Network#accuracy', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) },
    { name: 'target', names: ['target', 'labels', 't'], kind: 'target', good: () => labels(0, 2) },
    { name: 'batchSize', kind: 'optDim', good: 100 }], call: (sn, a, n) => n.accuracy(a[0], a[1], a[2]) },
  { entry: 'Network#predictClasses', setup: smallNet, args: [{ name: 'x', names: ['x', 'input'], kind: 'tensor', good: (sn) => t(sn, [2, 4]) },
    { name: 'batchSize', kind: 'optDim', good: 100 }], call: (sn, a, n) => n.predictClasses(a[0], a[1]) },
  // ---- optimizers ----
  ...OPTIMIZERS.flatMap((O) => [
    { entry: O.cls, args: [{ name: `${O.cls} options`, kind: 'options', good: () => ({}), fields: O.fields, nullMeansNone: true }], call: (sn, a) => new sn[O.cls](a[0]) },
    { entry: `${O.cls}#step`, setup: (sn) => ({ opt: new sn[O.cls](), net: smallNet(sn) }),
      args: [{ name: 'params', kind: 'paramsRecord', good: (sn, c) => c.net.namedParams() }], call: (sn, a, c) => c.opt.step(a[0]) },
  ]),
  { entry: 'createOptimizer', args: [{ name: 'optimizer', names: ['optimizer', 'name'], kind: 'choice', good: () => 'adam' }],
    call: (sn, a) => sn.createOptimizer(a[0]) },
  { entry: 'Optimizer#setLearningRate', setup: (sn) => new sn.SGD(), args: [{ name: 'lr', kind: 'optPositive', good: 0.1 }],
    call: (sn, a, o) => o.setLearningRate(a[0]), required: true },
  // ---- model files ----
  { entry: 'saveModel', setup: smallNet, args: [{ name: 'net', names: ['net', 'network'], kind: 'network', good: (sn, n) => n },
    { name: 'path', kind: 'path', good: () => scratchFile('m.safetensors') }], call: (sn, a) => sn.saveModel(a[0], a[1]) },
  { entry: 'saveNpzWeights', setup: smallNet, args: [{ name: 'net', names: ['net', 'network'], kind: 'network', good: (sn, n) => n },
    { name: 'path', kind: 'path', good: () => scratchFile('w.npz') }], call: (sn, a) => sn.saveNpzWeights(a[0], a[1]) },
  { entry: 'loadModel', args: [{ name: 'path', kind: 'path', good: () => null }], call: (sn, a) => sn.loadModel(a[0]), noGoodCall: true },
  { entry: 'decodeCheckpoint', args: [{ name: 'bytes', names: ['buf', 'bytes', 'data', 'safetensors', 'checkpoint'], kind: 'bytes', good: () => null }],
    call: (sn, a) => sn.decodeCheckpoint(a[0]), noGoodCall: true },
  { entry: 'encodeModel', args: [{ name: 'net', names: ['net', 'network'], kind: 'network', good: smallNet }], call: (sn, a) => sn.encodeModel(a[0]) },
  { entry: 'toFloat16', args: [{ name: 'net', names: ['net', 'network'], kind: 'network', good: smallNet }], call: (sn, a) => sn.toFloat16(a[0]) },
  // ---- data ----
  { entry: 'oneHot', args: [{ name: 'labels', kind: 'target', good: () => labels(0, 2) }, { name: 'numClasses', names: ['numClasses', 'classes'], kind: 'dim', good: 3 }],
    call: (sn, a) => sn.oneHot(a[0], a[1]) },
  { entry: 'splitIndices', args: [{ name: 'n', kind: 'dim', good: 10, exclude: ['0'] }], call: (sn, a) => sn.splitIndices(a[0], 0.2), noGoodCall: true },
  { entry: 'parseNpy', args: [{ name: 'bytes', names: ['buf', 'bytes', 'npy', 'data'], kind: 'bytes', good: () => null }], call: (sn, a) => sn.parseNpy(a[0]), noGoodCall: true },
  // readNpz takes a path or the bytes: a string is a path (a missing file is a file-system error naming it)
  { entry: 'readNpz', args: [{ name: 'bytes', names: ['pathOrBuffer', 'buf', 'bytes', 'npz'], kind: 'bytes', good: () => null, exclude: ['a string'] }], call: (sn, a) => sn.readNpz(a[0]), noGoodCall: true },
  { entry: 'decodeSafetensors', args: [{ name: 'bytes', names: ['buf', 'bytes', 'safetensors', 'data'], kind: 'bytes', good: () => null }],
    call: (sn, a) => sn.decodeSafetensors(a[0]), noGoodCall: true },
  { entry: 'decodeImage', args: [{ name: 'bytes', names: ['buf', 'bytes', 'image', 'data'], kind: 'bytes', good: () => null }], call: (sn, a) => sn.decodeImage(a[0]), noGoodCall: true },
  { entry: 'writeFileAtomic', args: [{ name: 'path', kind: 'path', good: () => null }], call: (sn, a) => sn.writeFileAtomic(a[0], 'x'), noGoodCall: true },
  { entry: 'Canvas', args: [{ name: 'width', kind: 'dim', good: 4 }, { name: 'height', kind: 'dim', good: 4 }], call: (sn, a) => new sn.Canvas(a[0], a[1]) },
  // ---- schedules ----
  { entry: 'stepDecay', args: [{ name: 'stepSize', names: ['stepSize', 'step', 'every'], kind: 'dim', good: 2 }], call: (sn, a) => sn.stepDecay(a[0], 0.5), noGoodCall: true },
];

// ---- the backend's ops (getBackend() is public): direct calls, where the native binding's own guards are the
// last line before the core. Small valid shapes; each array argument also gets "too short".
const F = (n) => () => new Float32Array(n);
const geo = { N: 2, C: 3, H: 6, W: 5, KH: 3, KW: 3, stride: 1, pad: 1 }; // OH = 6, OW = 5
const X = 2 * 3 * 6 * 5; // x elements
const P = 2 * 3 * 6 * 5; // pooled outputs per channel-plane set (same geometry)
const COL = 2 * 6 * 5 * 3 * 9;
const Fn = 4; // filters
const arr = (name, n, extra = {}) => ({ name, kind: 'f32Len', good: F(n), ...extra });
// the array whose length is the op's element count: any length is valid
const lead = (name, n) => arr(name, n, { exclude: ['one element too short'] });
const dim = (name, good, extra = {}) => ({ name, kind: 'dim', good, ...extra });
const g = { name: 'g', kind: 'geometry', good: () => ({ ...geo }) };
const mpGeo = { name: 'g', kind: 'geometry', good: () => ({ ...geo, KH: 2, KW: 2, stride: 2, pad: 0 }) }; // 3x2 out
const MP = 2 * 3 * 3 * 2;
const beRow = (entry, args, call) => ({ entry: `Backend#${entry}`, args, call: (sn, a) => call(sn.getBackend(), a) });

const BACKEND_ROWS = [
  beRow('sumRows', [arr('x', 12), dim('rows', 3, { exclude: ['0'] }), dim('cols', 4, { exclude: ['0'] }), arr('out', 4)], (be, a) => be.sumRows(...a)),
  beRow('addBias', [arr('y', 12), arr('b', 4), dim('rows', 3, { exclude: ['0'] }), dim('cols', 4, { exclude: ['0'] })], (be, a) => be.addBias(...a)),
  beRow('axpy', [{ name: 'alpha', kind: 'number', good: 0.5 }, lead('x', 8), arr('y', 8)], (be, a) => be.axpy(...a)),
  beRow('scale', [lead('x', 8), { name: 's', kind: 'number', good: 2 }, arr('y', 8)], (be, a) => be.scale(...a)),
  beRow('addForward', [lead('a', 8), arr('b', 8), { name: 'relu', kind: 'optBool', good: true }, arr('y', 8)], (be, a) => be.addForward(...a)),
  beRow('reluBackwardSum', [lead('dy0', 8), arr('dy1', 8, { exclude: ['null'] }), arr('y', 8), arr('dx', 8)], (be, a) => be.reluBackwardSum(...a)),
  beRow('activationForward', [{ name: 'kind', kind: 'choice', good: () => 'relu' }, lead('x', 8), arr('y', 8), { name: 'alpha', kind: 'number', good: 0 }],
    (be, a) => be.activationForward(...a)),
  beRow('softmaxCrossEntropy', [arr('logits', 6), dim('N', 2), dim('C', 3), { name: 'labels', kind: 'i32Labels', good: () => Int32Array.from([0, 2]) }, arr('probs', 6)],
    (be, a) => be.softmaxCrossEntropy(a[0], a[1], a[2], a[3], null, a[4], null)),
  beRow('softmaxCrossEntropyBackward', [arr('probs', 6), dim('N', 2), dim('C', 3), { name: 'labels', kind: 'i32Labels', good: () => Int32Array.from([0, 2]) }, arr('dx', 6)],
    (be, a) => be.softmaxCrossEntropyBackward(a[0], a[1], a[2], a[3], null, 0.5, null, a[4])),
  beRow('batchNormForward', [arr('x', 24), dim('N', 2), dim('C', 3), dim('S', 4), arr('gamma', 3), arr('beta', 3), arr('runMean', 3), arr('runVar', 3),
    arr('y', 24), arr('mean', 3), arr('std', 3)],
    (be, a) => be.batchNormForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], 0.9, 1e-5, true, false, a[8], a[9], a[10])),
  beRow('batchNormBackward', [arr('dy', 24), arr('x', 24), { name: 'relu', kind: 'optBool', good: true }, arr('mean', 3), arr('std', 3), arr('gamma', 3), arr('beta', 3),
    dim('N', 2), dim('C', 3), dim('S', 4), arr('dx', 24), arr('dgamma', 3), arr('dbeta', 3)],
    (be, a) => be.batchNormBackward(...a)),
  beRow('dropoutForward', [lead('x', 8), arr('y', 8), { name: 'mask', kind: 'u8Len', good: () => new Uint8Array(8) }, { name: 'ratio', kind: 'number', good: 0.5 }],
    (be, a) => be.dropoutForward(a[0], a[1], a[2], a[3], 2, 1, 0)),
  beRow('im2col', [arr('x', X), g, arr('col', COL)], (be, a) => be.im2col(...a)),
  beRow('col2im', [arr('col', COL), g, arr('x', X)], (be, a) => be.col2im(...a)),
  beRow('convForward', [arr('x', X), arr('w', Fn * 27), arr('b', Fn), g, dim('F', Fn), arr('y', 2 * Fn * 30)], (be, a) => be.convForward(...a)),
  beRow('convBackward', [arr('dy', 2 * Fn * 30), arr('x', X), arr('w', Fn * 27), g, dim('F', Fn), arr('dx', X, { exclude: ['null'] }), arr('dw', Fn * 27), arr('db', Fn)],
    (be, a) => be.convBackward(...a)),
  beRow('convMaxPoolForward', [arr('x', X), arr('w', Fn * 27), arr('b', Fn), g, dim('F', Fn), { name: 'relu', kind: 'optBool', good: true },
    { name: 'p', kind: 'geometry', good: () => ({ N: 2, C: Fn, H: 6, W: 5, KH: 2, KW: 2, stride: 2, pad: 0 }) }, arr('z', 2 * Fn * 3 * 2)],
    (be, a) => be.convMaxPoolForward(...a)),
  // the pool 2x2/2 over the convolution's 6x5 output (3x2 windows per plane), argmax at each window's first element
  beRow('convMaxPoolBackward', [arr('dz', 2 * Fn * 3 * 2), { name: 'argmax', kind: 'argmax', good: () => Int32Array.from({ length: 2 * Fn * 6 }, (_, i) => Math.floor(i / 6) * 30 + 10 * Math.floor((i % 6) / 2) + 2 * (i % 2)) },
    arr('z', 2 * Fn * 3 * 2), arr('x', X), arr('w', Fn * 27), g, dim('F', Fn), { name: 'relu', kind: 'optBool', good: true },
    { name: 'p', kind: 'geometry', good: () => ({ N: 2, C: Fn, H: 6, W: 5, KH: 2, KW: 2, stride: 2, pad: 0 }) }, arr('dx', X, { exclude: ['null'] }), arr('dw', Fn * 27), arr('db', Fn)],
    (be, a) => be.convMaxPoolBackward(...a)),
  beRow('convInferenceForward', [arr('x', X), arr('w', Fn * 27), arr('b', Fn), g, dim('F', Fn), { name: 'relu', kind: 'optBool', good: true },
    arr('r', 2 * Fn * 30, { exclude: ['null'] }), arr('y', 2 * Fn * 30)], (be, a) => be.convInferenceForward(...a)),
  beRow('convConvMaxPoolForward', [arr('x', X), arr('w1', Fn * 27), arr('b1', Fn), { ...g, name: 'g1' }, dim('F1', Fn), { name: 'relu1', kind: 'optBool', good: true },
    arr('w2', 2 * Fn * 9), arr('b2', 2), { name: 'g2', kind: 'geometry', good: () => ({ N: 2, C: Fn, H: 6, W: 5, KH: 3, KW: 3, stride: 1, pad: 1 }) }, dim('F2', 2),
    { name: 'relu2', kind: 'optBool', good: false }, { name: 'p', kind: 'geometry', good: () => ({ N: 2, C: 2, H: 6, W: 5, KH: 2, KW: 2, stride: 2, pad: 0 }) }, arr('z', 2 * 2 * 3 * 2)],
    (be, a) => be.convConvMaxPoolForward(...a)),
  beRow('maxPoolForward', [arr('x', X), mpGeo, arr('y', MP), { name: 'argmax', kind: 'i32Len', good: () => new Int32Array(MP) }], (be, a) => be.maxPoolForward(...a)),
  beRow('maxPoolBackward', [arr('dy', MP), { name: 'argmax', kind: 'argmax', good: () => Int32Array.from({ length: MP }, (_, i) => i) }, mpGeo, arr('dx', X)],
    (be, a) => be.maxPoolBackward(...a)),
  beRow('avgPoolForward', [arr('x', X), g, arr('y', P)], (be, a) => be.avgPoolForward(...a)),
  beRow('avgPoolBackward', [arr('dy', P), g, arr('dx', X)], (be, a) => be.avgPoolBackward(...a)),
  beRow('toHalf', [lead('src', 4), { name: 'dst', kind: 'u16Len', good: () => new Uint16Array(4) }], (be, a) => be.toHalf(...a)),
  beRow('sgemm', [dim('M', 2, { exclude: ['0'] }), dim('N', 3, { exclude: ['0'] }), dim('K', 4, { exclude: ['0'] }), arr('A', 8), arr('B', 12), arr('C', 6)],
    (be, a) => be.sgemm(false, false, a[0], a[1], a[2], 1, a[3], 0, a[2], a[4], 0, a[1], 0, a[5], 0, a[1])),
];
ROWS.push(...BACKEND_ROWS);

// ---- the rest of the exports: each with its arguments' kinds ----
const fnRow = (entry, args, call, extra = {}) => ({ entry, args, call, ...extra });
const netArg = { name: 'net', names: ['net', 'network'], kind: 'network', good: smallNet };
const xArg = (shape, extra = {}) => ({ name: 'x', names: ['x', 'input', 'images'], kind: 'tensor', good: (sn) => t(sn, shape), ...extra });
const lab = (...v) => ({ name: 'labels', names: ['labels', 'target', 't'], kind: 'target', good: () => labels(...v) });
const MORE_ROWS = [
  fnRow('loadCheckpoint', [{ name: 'path', kind: 'path', good: () => null }], (sn, a) => sn.loadCheckpoint(a[0]), { noGoodCall: true }),
  fnRow('loadNpzWeights', [netArg, { name: 'pathOrArrays', names: ['pathOrArrays', 'path', 'arrays'], kind: 'bytes', good: () => null, exclude: ['a string'] }],
    (sn, a) => sn.loadNpzWeights(a[0], a[1]), { noGoodCall: true }),
  fnRow('castInputToHalf', [xArg([2, 4])], (sn, a) => sn.castInputToHalf(a[0])),
  fnRow('compareHalfAccuracy', [netArg, xArg([2, 4]), lab(0, 2)], (sn, a) => sn.compareHalfAccuracy(a[0], a[1], a[2])),
  fnRow('writeFileAtomicAsync', [{ name: 'path', kind: 'path', good: () => null }], (sn, a) => {
    // rejects asynchronously or throws: either way the error must name the path
    const r = sn.writeFileAtomicAsync(a[0], 'x');
    return r && typeof r.then === 'function' ? r.then(() => undefined) : r;
  }, { noGoodCall: true }),
  fnRow('encodeNpy', [{ name: 'arr', names: ['arr', 'array', 'data', 'npy'], kind: 'npyInput', good: () => ({ dtype: 'f4', shape: [2], data: new Float32Array(2) }) }],
    (sn, a) => sn.encodeNpy(a[0])),
  fnRow('toFloat32', [{ name: 'arr', names: ['arr', 'array', 'dtype'], kind: 'npyArray', good: () => null }], (sn, a) => sn.toFloat32(a[0]), { noGoodCall: true }),
  fnRow('encodeNpz', [{ name: 'arrays', kind: 'record', good: () => ({ a: { dtype: 'f4', shape: [1], data: new Float32Array(1) } }) }], (sn, a) => sn.encodeNpz(a[0])),
  fnRow('listNpz', [{ name: 'pathOrBuffer', names: ['pathOrBuffer', 'buf'], kind: 'bytes', good: () => null, exclude: ['a string'] }], (sn, a) => sn.listNpz(a[0]), { noGoodCall: true }),
  fnRow('writeNpz', [{ name: 'path', kind: 'path', good: () => scratchFile('a.npz') },
    { name: 'arrays', kind: 'record', good: () => ({ a: { dtype: 'f4', shape: [1], data: new Float32Array(1) } }) }], (sn, a) => sn.writeNpz(a[0], a[1])),
  fnRow('encodeSafetensors', [{ name: 'tensors', kind: 'record', good: () => ({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }) }],
    (sn, a) => sn.encodeSafetensors(a[0])),
  fnRow('saveSafetensors', [{ name: 'path', kind: 'path', good: () => scratchFile('a.safetensors') },
    { name: 'tensors', kind: 'record', good: () => ({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }) }], (sn, a) => sn.saveSafetensors(a[0], a[1])),
  fnRow('loadSafetensors', [{ name: 'path', kind: 'path', good: () => null }], (sn, a) => sn.loadSafetensors(a[0]), { noGoodCall: true }),
  fnRow('readIdx', [{ name: 'pathOrBuffer', names: ['pathOrBuffer', 'buf'], kind: 'bytes', good: () => null, exclude: ['a string'] }], (sn, a) => sn.readIdx(a[0]), { noGoodCall: true }),
  fnRow('encodeIdx', [{ name: 'arr', names: ['arr', 'array', 'data', 'shape'], kind: 'idxInput', good: () => ({ dims: [2], data: new Uint8Array(2) }) }], (sn, a) => sn.encodeIdx(a[0])),
  fnRow('loadIdxDataset', [{ name: 'imagesPath', kind: 'path', good: () => null }], (sn, a) => sn.loadIdxDataset(a[0], 'x'), { noGoodCall: true }),
  fnRow('loadCsv', [{ name: 'file', names: ['file', 'path'], kind: 'path', good: () => null }], (sn, a) => sn.loadCsv(a[0]), { noGoodCall: true }),
  fnRow('parseCsv', [{ name: 'csvText', names: ['csvText', 'text'], kind: 'bytes', good: () => '1,2\n3,4\n', exclude: ['a string'] },
    { name: 'options', names: ['options', 'loadCsv options'], kind: 'options', good: () => ({}) }], (sn, a) => sn.parseCsv(a[0], a[1])),
  fnRow('computeClassWeights', [lab(0, 2, 1), { name: 'numClasses', kind: 'dim', good: 3 }], (sn, a) => sn.computeClassWeights(a[0], a[1])),
  fnRow('sampleWeightsFor', [lab(0, 2), { name: 'classWeights', kind: 'f32Len', good: () => Float32Array.from([1, 2, 3]), exclude: ['an Array', 'one element too short', 'a Float64Array'] }],
    (sn, a) => sn.sampleWeightsFor(a[0], a[1])),
  fnRow('subset', [xArg([3, 2]), lab(0, 1, 2), { name: 'indices', kind: 'indices', good: () => [0, 2] }], (sn, a) => sn.subset(a[0], a[1], a[2])),
  fnRow('augmentBatch', [xArg([2, 1, 4, 4]), { name: 'augment options', names: ['augment', 'shift', 'options'], kind: 'options', good: () => ({ shift: 0.1 }),
    fields: [{ name: 'shift', kind: 'optRatio' }, { name: 'rotation', kind: 'optNumber' }] }, { name: 'rng', kind: 'rng', good: (sn) => new sn.Rng(1) }],
    (sn, a) => sn.augmentBatch(a[0], a[1], a[2])),
  fnRow('parseAugmentSpec', [{ name: 'spec', names: ['spec', 'augment'], kind: 'augmentSpec', good: () => 'shift=0.1' }], (sn, a) => sn.parseAugmentSpec(a[0])),
  fnRow('resolveAugmentOptions', [{ name: 'augment options', names: ['augment', 'options'], kind: 'options', good: () => ({}),
    fields: [{ name: 'shift', kind: 'optRatio' }, { name: 'rotation', kind: 'optNumber' }, { name: 'flipHorizontal', kind: 'optBool' }] }],
    (sn, a) => sn.resolveAugmentOptions(a[0])),
  fnRow('decodePng', [{ name: 'bytes', names: ['bytes', 'buf', 'png'], kind: 'bytes', good: () => null }], (sn, a) => sn.decodePng(a[0]), { noGoodCall: true }),
  fnRow('movingAverage', [{ name: 'window', kind: 'dim', good: 2 }], (sn, a) => sn.movingAverage([1, 2, 3], a[0])),
  fnRow('renderCurves', [{ name: 'series', kind: 'series', good: () => [{ name: 'loss', values: [1, 0.5] }] }], (sn, a) => sn.renderCurves(a[0])),
  fnRow('renderFilters', [{ name: 'W', names: ['W', 'filters', 'weights'], kind: 'tensor', good: (sn) => t(sn, [2, 1, 3, 3]) }], (sn, a) => sn.renderFilters(a[0])),
  fnRow('misclassifiedIndices', [{ name: 'max', kind: 'optNonNegInt', good: 5 }], (sn, a) => sn.misclassifiedIndices([0, 1], [1, 1], a[0])),
  fnRow('checkLayerGradient', [{ name: 'layer', kind: 'layer', good: (sn) => new sn.Affine(3, 2) }, xArg([2, 3])], (sn, a) => sn.checkLayerGradient(a[0], a[1])),
  fnRow('checkNetworkGradient', [netArg, xArg([2, 4]), lab(0, 2)], (sn, a) => sn.checkNetworkGradient(a[0], a[1], a[2])),
  fnRow('fillNormal', [{ name: 'rng', kind: 'rng', good: (sn) => new sn.Rng(1) }, arr('data', 4, { exclude: ['one element too short'] }), { name: 'std', kind: 'number', good: 1 }],
    (sn, a) => sn.fillNormal(a[0], a[1], a[2])),
  fnRow('initStd', [{ name: 'spec', names: ['spec', 'weightInit', 'weight'], kind: 'weightInit', good: () => 'he' }, { name: 'fanIn', kind: 'dim', good: 4 }],
    (sn, a) => sn.initStd(a[0], a[1])),
  fnRow('cosineDecay', [{ name: 'cosineDecay options', names: ['cosineDecay', 'options'], kind: 'options', good: () => ({ epochs: 10 }),
    fields: [{ name: 'epochs', kind: 'dim' }, { name: 'minLr', kind: 'optNumber' }] }], (sn, a) => sn.cosineDecay(a[0])),
  fnRow('exponentialDecay', [{ name: 'exponentialDecay options', names: ['exponentialDecay', 'options'], kind: 'options', good: () => ({ gamma: 0.9 }),
    fields: [{ name: 'gamma', kind: 'optPositive' }] }], (sn, a) => sn.exponentialDecay(a[0])),
  fnRow('EarlyStopping', [{ name: 'EarlyStopping options', kind: 'options', good: () => ({}), fields: [{ name: 'patience', kind: 'optNonNegInt' }, { name: 'monitor', kind: 'optChoice' }] }],
    (sn, a) => new sn.EarlyStopping(a[0])),
  fnRow('ReduceLROnPlateau', [{ name: 'ReduceLROnPlateau options', kind: 'options', good: () => ({}), fields: [{ name: 'patience', kind: 'optNonNegInt' }, { name: 'factor', kind: 'optRatio' }] }],
    (sn, a) => new sn.ReduceLROnPlateau(a[0])),
  fnRow('ModelCheckpoint', [{ name: 'ModelCheckpoint options', kind: 'options', good: () => ({ path: scratchFile('ckpt.safetensors') }), fields: [{ name: 'path', kind: 'path' }] }],
    (sn, a) => new sn.ModelCheckpoint(a[0])),
  fnRow('LambdaCallback', [{ name: 'hooks', kind: 'hooks', good: () => ({ onEpochEnd() {} }) }], (sn, a) => new sn.LambdaCallback(a[0])),
  fnRow('shareTensor', [xArg([2, 2])], (sn, a) => sn.shareTensor(a[0])),
  fnRow('shareTarget', [lab(0, 1)], (sn, a) => sn.shareTarget(a[0])),
  fnRow('Trainer', [netArg, xArg([4, 4]), lab(0, 1, 2, 0),
    { name: 'Trainer options', names: ['Trainer', 'options'], kind: 'options', good: () => ({ epochs: 1, miniBatchSize: 2 }),
      fields: [{ name: 'epochs', kind: 'optDim' }, { name: 'miniBatchSize', kind: 'optDim' }] }],
    (sn, a) => new sn.Trainer(a[0], a[1], a[2], null, null, a[3])),
  fnRow('fit', [netArg, xArg([4, 4]), lab(0, 1, 2, 0)], (sn, a) => sn.fit(a[0], a[1], a[2], { epochs: 1, miniBatchSize: 2, verbose: false }), { noGoodCall: true }),
  fnRow('Flatten', [{ name: 'Flatten options', kind: 'options', good: () => ({}), fields: [] }], (sn, a) => new sn.Flatten(a[0])),
  fnRow('ChannelPad', [{ name: 'before', kind: 'optNonNegInt', good: 1 }, { name: 'after', kind: 'optNonNegInt', good: 1 }], (sn, a) => new sn.ChannelPad(a[0], a[1]), { required: true }),
  fnRow('Add', [{ name: 'Add options', kind: 'options', good: () => ({}), fields: [] }], (sn, a) => new sn.Add(a[0])),
  fnRow('Concatenate', [{ name: 'Concatenate options', kind: 'options', good: () => ({}), fields: [] }], (sn, a) => new sn.Concatenate(a[0])),
  fnRow('Input', [{ name: 'shape', names: ['shape', 'Input'], kind: 'shape', good: () => [4] }], (sn, a) => sn.Input(a[0])),
  fnRow('ResNet', [{ name: 'ResNet options', kind: 'options', good: () => ({ depth: 20, inputDim: [1, 8, 8], outputSize: 3 }),
    fields: [{ name: 'depth', kind: 'optChoice' }, { name: 'outputSize', kind: 'optDim' }] }], (sn, a) => new sn.ResNet(a[0])),
  fnRow('Graph', [{ name: 'Graph options', names: ['Graph', 'graph', 'options'], kind: 'options', good: () => null, fields: [] }], (sn, a) => new sn.Graph(a[0]), { noGoodCall: true }),
  fnRow('layerFromConfig', [{ name: 'layer config', names: ['layer config', 'config'], kind: 'config', good: () => ({ type: 'Relu' }) }], (sn, a) => sn.layerFromConfig(a[0])),
  fnRow('networkFromConfig', [{ name: 'network config', names: ['network config', 'config'], kind: 'config', good: (sn) => smallNet(sn).config() }], (sn, a) => sn.networkFromConfig(a[0])),
  fnRow('loadImage', [{ name: 'file', names: ['file', 'path'], kind: 'path', good: () => null }], (sn, a) => sn.loadImage(a[0]), { noGoodCall: true }),
  fnRow('loadImages', [{ name: 'files', names: ['files', 'file'], kind: 'pathList', good: () => null }], (sn, a) => sn.loadImages(a[0]), { noGoodCall: true }),
  fnRow('saveImage', [{ name: 'file', names: ['file', 'path'], kind: 'path', good: () => scratchFile('img.png') }, xArg([1, 4, 4])],
    (sn, a) => sn.saveImage(a[0], a[1])),
  fnRow('stratifiedSplit', [lab(0, 1, 0, 1), { name: 'fraction', names: ['fraction', 'validationSplit'], kind: 'fraction', good: 0.5 }], (sn, a) => sn.stratifiedSplit(a[0], a[1])),
  fnRow('classCounts', [lab(0, 1, 2), { name: 'numClasses', kind: 'dim', good: 3 }], (sn, a) => sn.classCounts(a[0], a[1])),
  fnRow('accuracyKind', [{ name: 'lossType', kind: 'choice', good: () => 'SoftmaxWithLoss' }, { name: 'outputsPerSample', kind: 'dim', good: 3 }],
    (sn, a) => sn.accuracyKind(a[0], a[1])),
  fnRow('confusionMatrix', [{ name: 'yTrue', kind: 'target', good: () => labels(0, 1) }, { name: 'yPred', kind: 'target', good: () => labels(1, 1) },
    { name: 'numClasses', kind: 'dim', good: 2 }], (sn, a) => sn.confusionMatrix(a[0], a[1], a[2])),
  fnRow('classStats', [{ name: 'confusion', kind: 'matrix', good: () => [[1, 0], [0, 1]] }], (sn, a) => sn.classStats(a[0])),
  fnRow('averages', [{ name: 'values', kind: 'numberList', good: () => [0.5, 1] }, { name: 'support', kind: 'numberList', good: () => [1, 1] }],
    (sn, a) => sn.averages(a[0], a[1])),
  fnRow('rocAuc', [{ name: 'yTrue', kind: 'target', good: () => labels(0, 1) }, { name: 'scores', kind: 'numberList', good: () => [0.1, 0.9] }],
    (sn, a) => sn.rocAuc(a[0], a[1])),
  fnRow('evaluate', [netArg, xArg([2, 4]), lab(0, 2)], (sn, a) => sn.evaluate(a[0], a[1], a[2])),
  fnRow('foldBatchNorm', [netArg], (sn, a) => sn.foldBatchNorm(a[0])),
  fnRow('encodeOnnx', [netArg], (sn, a) => sn.encodeOnnx(a[0])),
  fnRow('exportOnnx', [netArg], (sn, a) => sn.exportOnnx(a[0])),
  fnRow('importOnnx', [{ name: 'file', names: ['file', 'onnx', 'buf', 'bytes'], kind: 'bytes', good: () => null, exclude: ['a string'] }],
    (sn, a) => sn.importOnnx(a[0]), { noGoodCall: true }),
];
ROWS.push(...MORE_ROWS);

/** Extra kinds that only make sense for one argument (each value must be refused, naming the argument). */
const EXTRA_KINDS = {
  pathList: [['null', () => null], ['a string', () => 'a.png'], ['a list holding a number', () => [3]]],
  fraction: [['undefined', () => undefined], ['NaN', () => NaN], ['-0.5', () => -0.5], ['1.5', () => 1.5], ['a string', () => '0.5']],
  matrix: [['null', () => null], ['a number', () => 3], ['a ragged matrix', () => [[1, 0], [1]]], ['a non-square matrix', () => [[1, 0, 0], [0, 1, 0]]]],
  numberList: [['null', () => null], ['a number', () => 3], ['a list holding NaN', () => [NaN, 1]], ['a list of the wrong length', () => [1]]],
  npyInput: [['null', () => null], ['a number', () => 3], ['a dtype it cannot hold', () => ({ dtype: 'q9', shape: [1], data: new Float32Array(1) })],
    ['a shape its data does not fill', () => ({ dtype: 'f4', shape: [3], data: new Float32Array(2) })]],
  npyArray: [['null', () => null], ['a number', () => 3]],
  record: [['null', () => null], ['a number', () => 3], ['a record of non-arrays', () => ({ a: 5 })]],
  idxInput: [['null', () => null], ['a number', () => 3], ['dims its data does not fill', () => ({ dims: [3], data: new Uint8Array(2) })]],
  indices: [['null', () => null], ['an index past the end', () => [0, 9]], ['a negative index', () => [-1]], ['a fractional index', () => [0.5]]],
  rng: [['null', () => null], ['a number', () => 1], ['a plain object', () => ({ uniform: () => 0.5 })]],
  augmentSpec: [['null', () => null], ['a number', () => 3], ['a misspelled item', () => 'shfit=0.1'], ['a bad value', () => 'shift=abc']],
  series: [['null', () => null], ['a number', () => 3], ['a series without values', () => [{ name: 'x' }]]],
  layer: [['null', () => null], ['a plain object', () => ({ forward() {} })], ['a number', () => 3]],
  weightInit: [['null', () => null], ['an unknown name', () => 'glorious'], ['a negative std', () => -1], ['NaN', () => NaN]],
  hooks: [['null', () => null], ['a number', () => 3], ['a non-function hook', () => ({ onEpochEnd: 3 })]],
  config: [['null', () => null], ['a number', () => 3], ['an unknown type', () => ({ type: 'NoSuchThing' })], ['no type', () => ({})]],
  // a finite number
  number: [
    ['undefined', () => undefined],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['a string', () => '1'],
  ],
  // a Float32Array of a given length: wrong types, and one element too short
  f32Len: [
    ['null', () => null],
    ['a Float64Array', (sn, good) => new Float64Array(good.length)],
    ['an Array', (sn, good) => Array.from(good)],
    ['one element too short', (sn, good) => new Float32Array(good.length - 1)],
  ],
  i32Len: [
    ['null', () => null],
    ['a Float32Array', (sn, good) => new Float32Array(good.length)],
    ['one element too short', (sn, good) => new Int32Array(good.length - 1)],
  ],
  u8Len: [
    ['null', () => null],
    ['an Int8Array', (sn, good) => new Int8Array(good.length)],
    ['one element too short', (sn, good) => new Uint8Array(good.length - 1)],
  ],
  u16Len: [
    ['null', () => null],
    ['a Uint8Array', (sn, good) => new Uint8Array(good.length)],
    ['one element too short', (sn, good) => new Uint16Array(good.length - 1)],
  ],
  // class indices for a 3-class, 2-sample loss
  i32Labels: [
    ['null and no one-hot', () => null],
    ['a negative label', () => Int32Array.from([0, -1])],
    ['a label = C', () => Int32Array.from([3, 0])],
    ['a label of -2^31', () => Int32Array.from([0, -2147483648])],
    ['too few labels', () => Int32Array.from([0])],
  ],
  // argmax indices into x (max-pool backward)
  argmax: [
    ['an index past x', (sn, good) => Int32Array.from(good, (v, i) => (i === 5 ? 1 << 30 : v))],
    ['a negative index', (sn, good) => Int32Array.from(good, (v, i) => (i === good.length - 1 ? -1 : v))],
    ['-2^31', (sn, good) => Int32Array.from(good, (v, i) => (i === 0 ? -2147483648 : v))],
    ['too short', (sn, good) => good.slice(1)],
  ],
  // window geometry: each field bad in turn (the message names the field); [label, make, names]
  geometry: [
    ['null', () => null, ['g', 'geometry', 'N']],
    ...['N', 'C', 'H', 'W', 'KH', 'KW', 'stride'].flatMap((k) => [
      [`${k} = 0`, (sn, good) => ({ ...good, [k]: 0 }), [k]],
      [`${k} = 1.5`, (sn, good) => ({ ...good, [k]: 1.5 }), [k]],
      [`${k} = NaN`, (sn, good) => ({ ...good, [k]: NaN }), [k]],
    ]),
    // sizes past what the arrays hold: the dimension, or the array too short for it, is named
    ...['N', 'C', 'H', 'W'].map((k) => [`${k} = 2^31`, (sn, good) => ({ ...good, [k]: 2 ** 31 }), [k, 'x:', 'dy:', 'col:']]),
    ['pad = -1', (sn, good) => ({ ...good, pad: -1 }), ['pad']],
    ['a window larger than the padded input', (sn, good) => ({ ...good, KH: good.H + 2 * good.pad + 1 }), ['KH']],
  ],
  // a Tensor of the wrong shape for the layer/network (rank or size)
  shapeMismatch: [
    ['a wrong feature size', (sn) => sn.Tensor.zeros([2, 5])],
    ['a rank-1 tensor', (sn) => sn.Tensor.zeros([4])],
  ],
  // class labels out of range or of the wrong count
  labelValues: [
    ['a negative label', () => Int32Array.from([0, -1])],
    ['a label = number of classes', () => Int32Array.from([0, 3])],
    ['a label of 2^31-1', () => Int32Array.from([0, 2147483647])],
    ['too few labels', () => Int32Array.from([0])],
    ['too many labels', () => Int32Array.from([0, 1, 2])],
  ],
  // a layer list
  layers: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['an empty list', () => []],
    ['a list holding a non-layer', () => [{ forward() {} }]],
    ['a number', () => 3],
  ],
  // a parameter record for Optimizer.step
  paramsRecord: [
    ['undefined', () => undefined],
    ['null', () => null],
    ['a record of non-params', () => ({ W1: 3 })],
    ['a number', () => 3],
  ],
};

/** Valid-but-odd inputs with their documented result: [name, fn(sn) -> value, expected]. */
const ODD = [
  ['Tensor.zeros of one element', (sn) => Array.from(sn.Tensor.zeros([1, 1]).data), [0]],
  ['Pooling whose window covers the whole input', (sn) => Array.from(new sn.Pooling(2, 2).forward(sn.Tensor.from([1, 5, 3, 2], [1, 1, 2, 2]), false).data), [5]],
  ['optimizer options null mean none', (sn) => new sn.Adam(null).lr, 0.001],
  ['Rng#permutation(0) is empty', (sn) => new sn.Rng(1).permutation(0).length, 0],
  ['Network#accuracy on a batch of 1', (sn) => smallNet(sn).accuracy(sn.Tensor.zeros([1, 4]), Int32Array.from([0])) <= 1, true],
  ['Network#predict keeps the batch size', (sn) => smallNet(sn).predict(sn.Tensor.zeros([7, 4])).shape, [7, 3]],
  ['a label in a 1-class problem is 0', (sn) => Number.isFinite(new sn.Sequential([new sn.Affine(2, 1), new sn.SoftmaxWithLoss()], { inputShape: [2] }).loss(sn.Tensor.zeros([3, 2]), Int32Array.from([0, 0, 0]))), true],
  ['LeakyReLU with alpha 0 is Relu', (sn) => Array.from(new sn.LeakyReLU(0).forward(sn.Tensor.from([-2, 3], [1, 2]), false).data), [0, 3]],
  ['Dropout with ratio 0 passes x through in training', (sn) => Array.from(new sn.Dropout(0, { mode: 'inverted' }).forward(sn.Tensor.from([1, 2], [1, 2]), true).data), [1, 2]],
];

function kindValues(kind) {
  const v = KINDS[kind] || EXTRA_KINDS[kind];
  if (!v) throw new Error(`bad-input table: unknown kind '${kind}'`);
  return v;
}

/** All cases: { id, entry, arg, value, names, run(sn) }. */
function cases() {
  const out = [];
  const seen = new Map();
  for (const row of ROWS) {
    const k = (seen.get(row.entry) || 0) + 1;
    seen.set(row.entry, k);
    const rowId = k > 1 ? `${row.entry}[${k}]` : row.entry;
    const goodArgs = (sn, ctx) => row.args.map((a) => (typeof a.good === 'function' ? a.good(sn, ctx) : a.good));
    if (!row.noGoodCall) {
      out.push({ id: `${rowId}: the valid call works`, entry: row.entry, good: true, run: (sn) => { const ctx = row.setup && row.setup(sn); row.call(sn, goodArgs(sn, ctx), ctx); } });
    }
    row.args.forEach((arg, i) => {
      const names = arg.names || [arg.name.replace(/ options$/, '')];
      const values = kindValues(arg.kind).filter(([label]) =>
        !(label === 'undefined' && arg.kind.startsWith('opt') && !row.required) &&
        !(arg.exclude || []).includes(label) && !(label === 'null' && arg.nullMeansNone));
      for (const [label, make, ownNames] of values) {
        const expectName = label === 'an unknown key' ? ['noSuchOption'] : ownNames || names;
        out.push({
          id: `${rowId}: ${arg.name} = ${label}`, entry: row.entry, names: expectName,
          run: (sn) => { const ctx = row.setup && row.setup(sn); const a = goodArgs(sn, ctx); a[i] = make(sn, a[i]); return row.call(sn, a, ctx); },
        });
      }
      for (const f of arg.fields || []) {
        for (const [label, make] of kindValues(f.kind)) {
          if (label === 'undefined') continue;
          out.push({
            id: `${rowId}: ${arg.name}.${f.name} = ${label}`, entry: row.entry, names: [f.name],
            run: (sn) => { const ctx = row.setup && row.setup(sn); const a = goodArgs(sn, ctx); a[i] = { ...a[i], [f.name]: make(sn) }; return row.call(sn, a, ctx); },
          });
        }
      }
    });
  }
  for (const [name, fn, expected] of ODD) out.push({ id: `odd: ${name}`, entry: 'odd', odd: true, expected, run: fn });
  return out;
}

/** Exports that are not entry points taking user input (types, constants, re-exported helpers), with why. */
const NOT_ENTRY_POINTS = {
  describe: 'error-message helper', invalidType: 'error-message helper', invalidRange: 'error-message helper',
  checkInt: 'a validation helper (throwing on bad input is its contract: test/validate, test/errors)',
  checkNumber: 'a validation helper', checkF32: 'a validation helper', checkI32: 'a validation helper',
  checkOneOf: 'a validation helper', checkShape: 'a validation helper', checkFinite: 'a validation helper',
  checkWeightInit: 'a validation helper', fillUniform: 'covered by fillNormal (same checks)',
  Layer: 'abstract base class', LossLayer: 'abstract base class', MergeLayer: 'abstract base class',
  SymbolicTensor: 'made by Input()/layer.apply, not by users', MSE: 'alias of MeanSquaredError',
  NETWORK_INPUT: 'a constant', backendInfo: 'takes no arguments', getBackend: 'takes no arguments (its ops: the Backend# rows)',
  mnistDataDir: 'takes no arguments', loadMnist: 'reads the MNIST package data (test/data/mnist)',
  loadImageFolder: 'async, reads a directory tree (test/data/images)',
  streamImageFolder: 'async, reads a directory tree (test/data/stream: options, errors naming the file)',
  streamCsv: 'async, reads a file (test/data/stream-csv: options, errors naming the file and line)',
  StreamingDataset: 'made by streamImageFolder (test/data/stream: its constructor checks)', safetensorToFloat32: 'takes a decoded SafeTensor (decodeSafetensors rows)',
  writeIdx: 'writeFileAtomic + encodeIdx (both have rows)', isIdentityAugment: 'takes a resolved AugmentConfig (resolveAugmentOptions rows)',
  formatAugmentSpec: 'inverse of parseAugmentSpec (its rows)', layoutChart: 'renderCurves\'s layout (its rows)',
  plotCurves: 'renderCurves + a file write (both have rows)', drawFilters: 'renderFilters + a file write',
  renderMisclassified: 'misclassifiedIndices + Canvas (both have rows)', drawMisclassified: 'renderMisclassified + a file write',
  compareGradients: 'a gradient-check helper', numericalGradientOf: 'a gradient-check helper',
  METRIC_NAMES: 'a constant', IMPORT_OPSETS: 'a constant', EXPORTABLE_LAYERS: 'a constant', IMPORTABLE_OPS: 'a constant',
  DEFAULT_OPSET: 'a constant', OPSET_IR_VERSION: 'a constant',
  checkUnit: 'a validation helper', checkView: 'a validation helper', checkObject: 'a validation helper',
  checkOptions: 'a validation helper', MPI_INSTALL_HINT: 'a constant', mpiAvailable: 'takes no arguments',
  Communicator: 'private constructor; made by the MPI launch (test/dist)',
  DataParallel: 'needs a Communicator from an MPI launch (test/dist)',
  graphNodeConfigs: 'serializes a Graph\'s nodes (Graph rows)',
  PALETTE: 'a constant',
  LAYER_TYPES: 'a constant', NETWORK_TYPES: 'a constant', optimizerNames: 'a constant',
};

module.exports = { ROWS, ODD, cases, NOT_ENTRY_POINTS };
