/**
 * foldBatchNorm: Convolution → BatchNormalization(channel) pairs folded into one convolution for inference; the
 * following ReLU then runs fused in the convolution's epilogue. Inference outputs equal the original's.
 */
import { BatchNormalization, Convolution, Flatten, Affine, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { foldBatchNorm, ResNet, Sequential, type Network } from '../../lib/nets';
import { createOptimizer } from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose, randomArray } from '../helpers';

function trainABit(net: Network, x: Tensor, t: Int32Array): void {
  const opt = createOptimizer('momentum', { lr: 0.05, backend: net.backend });
  for (let i = 0; i < 3; i++) {
    net.gradient(x, t);
    opt.step(net.namedParams());
  }
}

describe.each(backendsUnderTest())('foldBatchNorm on $name', ({ backend }) => {
  test('ResNet-20 (projection shortcuts): every conv-BN pair folded, fused ReLUs, the same inference outputs', () => {
    const net = new ResNet({ depth: 20, inputDim: [2, 8, 8], outputSize: 4, shortcut: 'projection', seed: 2, backend });
    const x = new Tensor(randomArray(6 * 2 * 8 * 8, 3), [6, 2, 8, 8]);
    trainABit(net, x, Int32Array.from([0, 1, 2, 3, 1, 0])); // moves weights, gamma/beta and running statistics
    const f = foldBatchNorm(net);
    const bns = net.nodes.filter((n) => n.layer instanceof BatchNormalization).length;
    expect(bns).toBe(21); // stem, 2 per block, 2 projections
    expect(f.nodes).toHaveLength(net.nodes.length - bns);
    expect(f.nodes.some((n) => n.layer instanceof BatchNormalization)).toBe(false);
    expect(f.nodes.find((n) => n.name === 'stage2/block1/add')!.inputs.map((j) => f.nodes[j].name)).toEqual(['stage2/block1/conv2', 'stage2/block1/shortcut/conv']);
    const stem = f.nodes.find((n) => n.name === 'stem/conv')!.layer as Convolution;
    expect(stem.bias).toBe(true);
    expect(stem.fusedRelu).toBe(net.fused);
    expect(Object.keys(f.namedBuffers())).toEqual([]);
    expectClose(f.predict(x).data, net.predict(x).data, { rtol: 1e-4, atol: 1e-5 }, 'logits');
  });

  test('a Sequential conv-bn-relu chain folds; a per-feature BN is left alone', () => {
    const net = new Sequential([
      new Convolution(1, 3, 3, { pad: 1 }), new BatchNormalization(3, { axis: 'channel' }), new Relu(),
      new Flatten(), new Affine(4), new BatchNormalization(4), new Relu(), new Affine(2), new SoftmaxWithLoss(),
    ], { inputShape: [1, 4, 4], seed: 5, backend });
    const x = new Tensor(randomArray(5 * 16, 6), [5, 1, 4, 4]);
    trainABit(net, x, Int32Array.from([0, 1, 1, 0, 1]));
    const f = foldBatchNorm(net);
    expect(f.nodes.map((n) => n.layer.type)).toEqual(['Convolution', 'Relu', 'Flatten', 'Affine', 'BatchNormalization', 'Relu', 'Affine']);
    expectClose(f.predict(x).data, net.predict(x).data, { rtol: 1e-4, atol: 1e-5 }, 'logits');
  });
});
