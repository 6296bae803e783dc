/**
 * A model file whose config describes a far larger network than its tensors could fill is refused before the
 * network is allocated (a hostile file must not cost a huge allocation).
 */
import { decodeCheckpoint, encodeModel } from '../../lib/io/model';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { Affine, SoftmaxWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { ts } from '../helpers';

test('a config asking for 3.2 GB of parameters in a 1 KB file is refused before allocating them', () => {
  const net = new Sequential([new Affine(4, 3), new SoftmaxWithLoss()], { inputShape: [4], backend: ts });
  const { tensors, metadata } = decodeSafetensors(encodeModel(net));
  const cfg = JSON.parse(metadata.config);
  cfg.inputShape = [20000];
  cfg.layers[0].inputSize = 20000;
  cfg.layers[0].outputSize = 20000; // 4e8 weights: 1.6 GB of values + 1.6 GB of gradients, which V8 would allocate
  const hostile = encodeSafetensors(tensors, { ...metadata, config: JSON.stringify(cfg) });
  expect(() => decodeCheckpoint(hostile, { backend: ts }, 'hostile')).toThrow(/exceeds the allocation budget/);
});

test('the budget does not get in the way of a real model', () => {
  const net = new Sequential([new Affine(300, 200), new SoftmaxWithLoss()], { inputShape: [300], backend: ts });
  const back = decodeCheckpoint(encodeModel(net), { backend: ts }).net;
  expect(back.namedParams().W1.value.data).toEqual(net.namedParams().W1.value.data);
});
