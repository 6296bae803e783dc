/**
 * Multi-channel images end to end: RGB PNG files in class folders -> loadImageFolder -> a conv network with
 * per-channel batch norm, pooling, dropout and affine layers -> Trainer with augmentation -> it learns.
 * Class 0 images are reddish, class 1 bluish, each with random noise and a random bright square, so the color
 * channels (not shape) carry the label.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';

import { loadImageFolder } from '../../lib/data/images';
import { Affine, BatchNormalization, Convolution, Dropout, GlobalAvgPool, Pooling, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { Sequential, SimpleConvNet } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Trainer } from '../../lib/train/trainer';
import { backendsUnderTest } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-rgb-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const rng = new Rng(7);
  for (const [cls, tint] of [['red', [1, 0.3, 0.3]], ['blue', [0.3, 0.3, 1]]] as const) {
    fs.mkdirSync(path.join(dir, cls));
    for (let n = 0; n < 60; n++) {
      const w = 36;
      const png = new PNG({ width: w, height: w });
      const sx = rng.int(w - 8);
      const sy = rng.int(w - 8);
      for (let y = 0; y < w; y++) {
        for (let x = 0; x < w; x++) {
          const square = x >= sx && x < sx + 8 && y >= sy && y < sy + 8 ? 0.4 : 0;
          for (let c = 0; c < 3; c++) {
            const v = Math.min(1, 0.5 * tint[c] + 0.3 * rng.uniform() + square);
            png.data[(y * w + x) * 4 + c] = Math.round(255 * v);
          }
          png.data[(y * w + x) * 4 + 3] = 255;
        }
      }
      fs.writeFileSync(path.join(dir, cls, `${n}.png`), PNG.sync.write(png));
    }
  }
});

describe.each(backendsUnderTest())('RGB 32×32 images through every layer ($name)', ({ backend }) => {
  test('load, train with augmentation, classify', async () => {
    const data = await loadImageFolder(dir, { targetSize: [32, 32], colorMode: 'rgb', validationSplit: 0.25, seed: 1 });
    expect(data.classNames).toEqual(['blue', 'red']);
    expect(data.train.images.shape).toEqual([90, 3, 32, 32]);
    const net = new Sequential(
      [
        new Convolution(3, 8, 3, { pad: 1 }), new BatchNormalization(8, { axis: 'channel' }), new Relu(), new Pooling(2, 2, { stride: 2 }),
        new Convolution(8, 8, 3, { pad: 1 }), new Relu(), new GlobalAvgPool(),
        new Affine(8, 16), new Relu(), new Dropout(0.2, { mode: 'inverted' }), new Affine(16, 2), new SoftmaxWithLoss(),
      ],
      { inputShape: [3, 32, 32], seed: 3, backend },
    );
    const trainer = new Trainer(net, data.train.images, data.train.labels, data.validation!.images, data.validation!.labels, {
      epochs: 12, miniBatchSize: 15, optimizer: 'adam', optimizerParam: { lr: 0.01 }, seed: 2,
      augment: { flipHorizontal: true, shift: 0.1 },
    });
    const r = trainer.train();
    expect(r.history.loss[r.history.loss.length - 1]).toBeLessThan(r.history.loss[0]);
    expect(r.testAcc).toBeGreaterThanOrEqual(0.9); // 30 held-out images; chance is 0.5
  });

  test("the book's SimpleConvNet takes 3-channel input", () => {
    const net = new SimpleConvNet({ inputDim: [3, 32, 32], seed: 1, backend });
    expect(net.namedParams().W1.value.shape).toEqual([30, 3, 5, 5]);
    expect(net.namedParams().W2.value.shape).toEqual([30 * 14 * 14, 100]);
  });
});
