/**
 * A model file whose config describes a far larger network than its tensors could fill is refused before the
 * network is allocated (a hostile file must not cost a huge allocation).
 */
import { decodeCheckpoint, encodeModel } from '../../lib/io/model';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { Affine, SoftmaxWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { ts } from '../helpers';

test('a config asking for 40 GB of parameters in a 1 KB file is a RangeError, fast', () => {
  const net = new Sequential([new Affine(4, 3), new SoftmaxWithLoss()], { inputShape: [4], backend: ts });
  const { tensors, metadata } = decodeSafetensors(encodeModel(net));
  const cfg = JSON.parse(metadata.config);
  cfg.inputShape = [100000];
  cfg.layers[0].inputSize = 100000;
  cfg.layers[0].outputSize = 100000; // 1e10 weights
  const hostile = encodeSafetensors(tensors, { ...metadata, config: JSON.stringify(cfg) });
  const t0 = Date.now();
  expect(() => decodeCheckpoint(hostile, { backend: ts }, 'hostile')).toThrow(/exceeds the allocation budget/);
  expect(Date.now() - t0).toBeLessThan(1000);
});

test('the budget does not get in the way of a real model', () => {
  const net = new Sequential([new Affine(300, 200), new SoftmaxWithLoss()], { inputShape: [300], backend: ts });
  const back = decodeCheckpoint(encodeModel(net), { backend: ts }).net;
  expect(back.namedParams().W1.value.data).toEqual(net.namedParams().W1.value.data);
});
