/**
 * Options are checked everywhere: every public constructor and function that takes an options object refuses an
 * unknown key with a RangeError naming it (and the nearest valid key, "did you mean …"), and accepts the book's
 * snake_case spelling of a camelCase key as an alias (hidden_size = hiddenSize, conv_param.filter_num =
 * convParam.filterNum). The table is checked against the package's exports: a new public class without an entry
 * (or a reason for having none) fails here.
 */
import * as os from 'os';
import * as path from 'path';
import * as simdnet from '../lib/index';
import { Tensor } from '../lib/tensor';

const x2 = () => new Tensor(new Float32Array(8), [4, 2]);
const net = () => new simdnet.Sequential([new simdnet.Affine(2, 2), new simdnet.SoftmaxWithLoss()], { inputShape: [2] });
const tmp = path.join(os.tmpdir(), 'simdnet-options-test.safetensors');

/** name -> (opts) => call with `opts` as its options object; [typo, the key it should suggest]. */
type Entry = { call: (o: Record<string, unknown>) => unknown; typo: [string, string] };
const TABLE: Record<string, Entry> = {
  // layers
  Relu: { call: (o) => new simdnet.Relu(o), typo: ['backnd', 'backend'] },
  Sigmoid: { call: (o) => new simdnet.Sigmoid(o), typo: ['backnd', 'backend'] },
  Tanh: { call: (o) => new simdnet.Tanh(o), typo: ['backnd', 'backend'] },
  LeakyReLU: { call: (o) => new simdnet.LeakyReLU(0.1, o), typo: ['backnd', 'backend'] },
  Affine: { call: (o) => new simdnet.Affine(2, 3, o), typo: ['weightInt', 'weightInit'] },
  BatchNormalization: { call: (o) => new simdnet.BatchNormalization(3, o), typo: ['momentun', 'momentum'] },
  Convolution: { call: (o) => new simdnet.Convolution(1, 2, 3, o), typo: ['strid', 'stride'] },
  Dropout: { call: (o) => new simdnet.Dropout(0.5, o), typo: ['mod', 'mode'] },
  Pooling: { call: (o) => new simdnet.Pooling(2, 2, o), typo: ['strid', 'stride'] },
  GlobalAvgPool: { call: (o) => new simdnet.GlobalAvgPool(o), typo: ['backnd', 'backend'] },
  GlobalMaxPool: { call: (o) => new simdnet.GlobalMaxPool(o), typo: ['backnd', 'backend'] },
  Flatten: { call: (o) => new simdnet.Flatten(o), typo: ['backnd', 'backend'] },
  Add: { call: (o) => new simdnet.Add(o), typo: ['backnd', 'backend'] },
  Concatenate: { call: (o) => new simdnet.Concatenate(o), typo: ['backnd', 'backend'] },
  SoftmaxWithLoss: { call: (o) => new simdnet.SoftmaxWithLoss(o), typo: ['classWeight', 'classWeights'] },
  SigmoidWithLoss: { call: (o) => new simdnet.SigmoidWithLoss(o), typo: ['backnd', 'backend'] },
  MeanSquaredError: { call: (o) => new simdnet.MeanSquaredError(o), typo: ['backnd', 'backend'] },
  // networks
  Sequential: { call: (o) => new simdnet.Sequential([new simdnet.Affine(2, 2), new simdnet.SoftmaxWithLoss()], { inputShape: [2], ...o }), typo: ['sed', 'seed'] },
  SimpleConvNet: { call: (o) => new simdnet.SimpleConvNet(o), typo: ['hiddenSise', 'hiddenSize'] },
  DeepConvNet: { call: (o) => new simdnet.DeepConvNet(o), typo: ['outputSise', 'outputSize'] },
  MultiLayerNet: { call: (o) => new simdnet.MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, ...o }), typo: ['activaton', 'activation'] },
  MultiLayerNetExtend: { call: (o) => new simdnet.MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, ...o }), typo: ['useBatchNorm', 'useBatchnorm'] },
  Graph: {
    call: (o) => {
      const x = simdnet.Input([2]);
      return new simdnet.Graph({ input: x, output: new simdnet.Affine(2, 2).apply(x, 'fc'), loss: new simdnet.SoftmaxWithLoss(), ...o });
    },
    typo: ['sed', 'seed'],
  },
  loadImageFolder: { call: (o) => simdnet.loadImageFolder('nowhere', o), typo: ['targetSise', 'targetSize'] },
  loadMnist: { call: (o) => simdnet.loadMnist(o), typo: ['flaten', 'flatten'] },
  streamImageFolder: { call: (o) => simdnet.streamImageFolder('nowhere', o), typo: ['prefech', 'prefetch'] },
  streamCsv: { call: (o) => simdnet.streamCsv('nowhere.csv', o), typo: ['normalise', 'normalize'] },
  StreamingDataset: {
    call: (o) => new simdnet.StreamingDataset([], new Int32Array(0), { size: [1, 1], colorMode: 'rgb', interpolation: 'bilinear', alpha: 'drop', resize: true, sizeFrom: '', decode: {} }, o),
    typo: ['worker', 'workers'],
  },
  loadModel: { call: (o) => simdnet.loadModel(tmp, o), typo: ['backnd', 'backend'] },
  augment: { call: (o) => simdnet.resolveAugmentOptions(o), typo: ['shif', 'shift'] },
  ResNet: { call: (o) => new simdnet.ResNet({ depth: 20, ...o }), typo: ['dept', 'depth'] },
  // optimizers
  // optimizers
  SGD: { call: (o) => new simdnet.SGD(o), typo: ['Lr', 'lr'] },
  Momentum: { call: (o) => new simdnet.Momentum(o), typo: ['momentun', 'momentum'] },
  Nesterov: { call: (o) => new simdnet.Nesterov(o), typo: ['momentun', 'momentum'] },
  AdaGrad: { call: (o) => new simdnet.AdaGrad(o), typo: ['Lr', 'lr'] },
  RMSprop: { call: (o) => new simdnet.RMSprop(o), typo: ['decayrate', 'decayRate'] },
  Adam: { call: (o) => new simdnet.Adam(o), typo: ['betta1', 'beta1'] },
  AdamW: { call: (o) => new simdnet.AdamW(o), typo: ['betta1', 'beta1'] },
  createOptimizer: { call: (o) => simdnet.createOptimizer('adam', o), typo: ['betta1', 'beta1'] },
  // training
  Trainer: { call: (o) => new simdnet.Trainer(net(), x2(), new Int32Array(4), null, null, o), typo: ['epoch', 'epochs'] },
  EarlyStopping: { call: (o) => new simdnet.EarlyStopping(o), typo: ['patiense', 'patience'] },
  ModelCheckpoint: { call: (o) => new simdnet.ModelCheckpoint({ path: tmp, ...o }), typo: ['monitr', 'monitor'] },
  ReduceLROnPlateau: { call: (o) => new simdnet.ReduceLROnPlateau(o), typo: ['factr', 'factor'] },
  cosineDecay: { call: (o) => simdnet.cosineDecay({ epochs: 3, ...o }), typo: ['epoch', 'epochs'] },
  stepDecay: { call: (o) => simdnet.stepDecay({ stepSize: 3, ...o }), typo: ['gama', 'gamma'] },
  exponentialDecay: { call: (o) => simdnet.exponentialDecay({ gamma: 0.9, ...o }), typo: ['gama', 'gamma'] },
  // data, files, metrics, pictures
  loadImage: { call: (o) => simdnet.loadImage('x.png', o), typo: ['sise', 'size'] },
  saveImage: { call: (o) => simdnet.saveImage(tmp, new Tensor(new Float32Array(3), [1, 1, 3]), o), typo: ['rang', 'range'] },
  saveModel: { call: (o) => simdnet.saveModel(net(), tmp, o), typo: ['weightOnly', 'weightsOnly'] },
  loadCsv: { call: (o) => simdnet.loadCsv('x.csv', o), typo: ['labelColum', 'labelColumn'] },
  evaluate: { call: (o) => simdnet.evaluate(net(), x2(), new Int32Array(4), o), typo: ['batchsize', 'batchSize'] },
  toFloat16: { call: (o) => simdnet.toFloat16(net(), o), typo: ['inplace', 'inPlace'] },
  plotCurves: { call: (o) => simdnet.renderCurves([{ name: 'a', values: [1, 2] }], o), typo: ['titel', 'title'] },
  drawFilters: { call: (o) => simdnet.renderFilters(new Tensor(new Float32Array(9), [1, 1, 3, 3]), o), typo: ['colums', 'columns'] },
  drawMisclassified: { call: (o) => simdnet.renderMisclassified(new Tensor(new Float32Array(4), [1, 1, 2, 2]), [0], [1], o), typo: ['classNmes', 'classNames'] },
};

const ELSEWHERE: string[] = [];

/** Exported classes that take no options object (or are abstract), with the reason. */
const NO_OPTIONS: Record<string, string> = {
  Rng: 'a seed', Tensor: 'data and shape', Canvas: 'width, height, background', Layer: 'abstract', LossLayer: 'abstract',
  MergeLayer: 'abstract', Network: 'abstract', Optimizer: 'abstract', SymbolicTensor: 'made by Input/apply',
  LambdaCallback: 'an object of hooks (checked by hook name)', ChannelPad: 'two channel counts', MSE: 'alias of MeanSquaredError',
Communicator: 'distributed (dist engineer)', DataParallel: 'distributed (dist engineer)',
};

describe('unknown options are refused everywhere', () => {
  test('every exported class has an entry or a reason', () => {
    const classes = Object.entries(simdnet)
      .filter(([, v]) => typeof v === 'function' && /^class /.test(Function.prototype.toString.call(v)))
      .map(([k]) => k);
    const missing = classes.filter((k) => !(k in TABLE) && !(k in NO_OPTIONS) && !ELSEWHERE.includes(k));
    expect(missing).toEqual([]);
  });

  /** The error a call throws (or its promise rejects with). */
  const errorOf = async (f: () => unknown): Promise<Error | null> => {
    try {
      await f();
    } catch (e) {
      return e as Error;
    }
    return null;
  };

  test.each(Object.keys(TABLE))('%s: an unknown key is a RangeError naming it and the nearest valid key', async (name) => {
    const { call, typo } = TABLE[name];
    const e = await errorOf(() => call({ bogusOption: 1 }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e!.message).toMatch(/unknown option 'bogusOption'/);
    const t = await errorOf(() => call({ [typo[0]]: 1 }));
    expect(t).toBeInstanceOf(RangeError);
    expect(t!.message).toMatch(new RegExp(`unknown option '${typo[0]}' \\(did you mean '${typo[1]}'\\?\\)`));
  });
});

describe("the book's snake_case names are aliases", () => {
  test('networks: hidden_size, conv_param.filter_num, input_dim, output_size, weight_init_std, hidden_size_list, use_batchnorm', () => {
    const a = new simdnet.SimpleConvNet({ hidden_size: 50, conv_param: { filter_num: 10, filter_size: 5 }, input_dim: [1, 28, 28], output_size: 10 } as never);
    const b = new simdnet.SimpleConvNet({ hiddenSize: 50, convParam: { filterNum: 10, filterSize: 5 }, inputDim: [1, 28, 28], outputSize: 10 });
    expect(a.config()).toEqual(b.config());
    expect(a.namedParams().W1.value.shape).toEqual([10, 1, 5, 5]);
    const m = new simdnet.MultiLayerNetExtend({ input_size: 4, hidden_size_list: [3], output_size: 2, use_batchnorm: true, weight_init_std: 'he' } as never);
    expect(Object.keys(m.namedParams())).toContain('gamma1');
  });

  test('Trainer: mini_batch_size, optimizer_param, evaluate_sample_num_per_epoch', () => {
    const t = new simdnet.Trainer(net(), x2(), new Int32Array(4), null, null, { mini_batch_size: 2, optimizer_param: { lr: 0.5 }, evaluate_sample_num_per_epoch: 2 } as never);
    expect(t.miniBatchSize).toBe(2);
    expect(t.optimizer.lr).toBe(0.5);
  });

  test('optimizers: the book\'s decay_rate', () => {
    expect(new simdnet.RMSprop({ decay_rate: 0.9 } as never).hyper.decayRate).toBe(0.9);
  });

  test('giving both spellings is refused', () => {
    expect(() => new simdnet.SimpleConvNet({ hidden_size: 50, hiddenSize: 60 } as never)).toThrow(/hidden_size.*hiddenSize|hiddenSize.*hidden_size/);
  });
});
