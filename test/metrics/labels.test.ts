/**
 * accuracy() checks its labels against the network's outputs and never counts a NaN row as class 0 (issue 9).
 */
import { Affine, SigmoidWithLoss } from '../../lib/layers';
import { predictedClasses } from '../../lib/metrics/accuracy';
import { MultiLayerNet, Sequential } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';

const net3 = () => new MultiLayerNet({ inputSize: 2, hiddenSizeList: [4], outputSize: 3, seed: 1 });
const x4 = () => new Tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);

describe('accuracy labels', () => {
  test('a label outside [0, K) is a RangeError naming t, the index and the value', () => {
    const net = net3();
    expect(() => net.accuracy(x4(), new Int32Array([0, 7, -3, 99]))).toThrow(RangeError);
    expect(() => net.accuracy(x4(), new Int32Array([0, 7, -3, 99]))).toThrow('t[1]: expected a class label in [0, 3), got number 7');
    expect(() => net.accuracy(x4(), new Int32Array([0, 1, 2, -3]))).toThrow('t[3]: expected a class label in [0, 3), got number -3');
    expect(net.accuracy(x4(), new Int32Array([0, 1, 2, 2]))).toBeGreaterThanOrEqual(0);
  });

  test('a sigmoid network takes labels 0 and 1 only', () => {
    const net = new Sequential([new Affine(2, 1), new SigmoidWithLoss()], { inputShape: [2], seed: 1 });
    expect(() => net.accuracy(x4(), new Int32Array([0, 1, 2, 0]))).toThrow('t[2]: expected a label 0 or 1, got number 2');
  });

  test('NaN logits count as wrong, not as class 0', () => {
    const net = net3();
    for (const p of Object.values(net.namedParams())) p.value.data.fill(NaN);
    expect(net.accuracy(x4(), new Int32Array([0, 0, 0, 0]))).toBe(0);
    expect([...predictedClasses('categorical', new Float32Array([NaN, 0, 0, 1, 2, 0]), 2)]).toEqual([-1, 1]);
    expect([...predictedClasses('binary', new Float32Array([NaN, -1, 1]), 3)]).toEqual([-1, 0, 1]);
  });
});
