/**
 * Sizes and options that failed late or with V8's words (issue 9): too-large networks give a RangeError naming
 * the option and the limit at construction; a backend option is checked; a model file's config may not carry a
 * backend; a too-small DeepConvNet input names the network and the smallest input.
 */
import { decodeCheckpoint, encodeModel } from '../../lib/io/model';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { Affine } from '../../lib/layers';
import { DeepConvNet, MultiLayerNet, networkFromConfig, SimpleConvNet } from '../../lib/nets';
import { MAX_TENSOR_ELEMENTS, Tensor } from '../../lib/tensor';
import { tsBackendInstance } from '../../lib/backend';

describe('sizes too large for one tensor', () => {
  test('SimpleConvNet({ hiddenSize: 2**40 }) names hiddenSize, W2 and the limit', () => {
    expect(() => new SimpleConvNet({ hiddenSize: 2 ** 40 })).toThrow(RangeError);
    expect(() => new SimpleConvNet({ hiddenSize: 2 ** 40 })).toThrow(
      `SimpleConvNet hiddenSize: expected a value giving at most ${MAX_TENSOR_ELEMENTS} elements per tensor (W2 [4320, 1099511627776] would have 4749890231992320), got number 1099511627776`,
    );
    expect(() => new SimpleConvNet({ convParam: { filterNum: 2 ** 31 } })).toThrow(/SimpleConvNet convParam\.filterNum: .* \(W1 \[2147483648, 1, 5, 5\]/);
    expect(() => new SimpleConvNet({ hiddenSize: 2 ** 20, outputSize: 2 ** 20 })).toThrow(/SimpleConvNet (hiddenSize|outputSize): .*W2|W3/);
  });

  test('MultiLayerNet names the list entry; DeepConvNet names the convParam or hiddenSize', () => {
    expect(() => new MultiLayerNet({ inputSize: 784, hiddenSizeList: [100, 2 ** 30], outputSize: 10 }))
      .toThrow(/^MultiLayerNet hiddenSizeList\[1\]: expected a value giving at most 2147483647 elements per tensor \(W2 \[100, 1073741824\]/);
    expect(() => new MultiLayerNet({ inputSize: 2 ** 31, hiddenSizeList: [4], outputSize: 10 })).toThrow(/^MultiLayerNet inputSize: /);
    expect(() => new DeepConvNet({ hiddenSize: 2 ** 30 })).toThrow(/^DeepConvNet hiddenSize: .*W7 \[1024, 1073741824\]/);
    expect(() => new DeepConvNet({ convParam3: { filterNum: 2 ** 28 } })).toThrow(/^DeepConvNet convParam3\.filterNum: .*W3 \[268435456, 16, 3, 3\]/);
  });

  test('a layer or Tensor.zeros past the limit names the tensor, not "Invalid typed array length"', () => {
    expect(() => new Affine(2 ** 20, 2 ** 20)).toThrow('Affine W: [1048576, 1048576] has 1099511627776 elements, more than the 2147483647 allowed per tensor');
    expect(() => Tensor.zeros([2 ** 16, 2 ** 16])).toThrow(RangeError);
  });
});

describe('backend option', () => {
  test('a network refuses a value that is not a backend, at construction', () => {
    expect(() => new SimpleConvNet({ backend: {} as never })).toThrow(TypeError);
    expect(() => new SimpleConvNet({ backend: {} as never })).toThrow(/^backend: expected a Backend .*got object without activationBackward/);
    expect(() => new SimpleConvNet({ backend: 'ts' as never })).toThrow(/^backend: expected a Backend .*got string "ts"/);
    const net = new SimpleConvNet({ backend: tsBackendInstance() });
    expect(() => net.setBackend(null as never)).toThrow(/^backend: expected a Backend/);
    expect(net.backend).toBe(tsBackendInstance());
  });

  test('a model file whose config carries a backend is refused at load, naming the file', () => {
    const { tensors, metadata } = decodeSafetensors(encodeModel(new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2 })));
    metadata.config = JSON.stringify({ ...JSON.parse(metadata.config), backend: {} });
    const bytes = encodeSafetensors(tensors, metadata);
    expect(() => decodeCheckpoint(bytes, {}, 'evil.safetensors')).toThrow(RangeError);
    expect(() => decodeCheckpoint(bytes, {}, 'evil.safetensors')).toThrow(/model evil\.safetensors: metadata 'config' does not describe a network: network config: expected no backend/);
    expect(() => networkFromConfig({ ...new SimpleConvNet().config(), backend: {} })).toThrow(/network config: expected no backend/);
    expect(() => decodeCheckpoint(encodeModel(new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2 })), { backend: {} as never }))
      .toThrow(/loadModel options backend: expected a Backend/);
  });
});

describe('DeepConvNet input size', () => {
  test('too small an inputDim names the network and the smallest input, not an internal layer', () => {
    expect(() => new DeepConvNet({ inputDim: [1, 3, 3] })).toThrow(
      'DeepConvNet inputDim: expected [C, H, W] with H >= 4 and W >= 4 (the smallest input its six convolutions and three 2×2 poolings take), got [1, 3, 3]',
    );
    expect(() => new DeepConvNet({ inputDim: [1, 28, 2] })).toThrow(/^DeepConvNet inputDim: .*H >= 4 and W >= 4.*got \[1, 28, 2\]/);
    expect(new DeepConvNet({ inputDim: [1, 4, 4] }).outputShape()).toEqual([1, 10]);
    expect(() => new DeepConvNet({ inputDim: [1, 20, 20], convParam1: { filterSize: 20 } })).toThrow(/H >= 21 and W >= 21/);
    expect(new DeepConvNet({ inputDim: [1, 21, 21], convParam1: { filterSize: 20 } }).outputShape()).toEqual([1, 10]); // the bound is tight
  });
});
