/** loadImage prepares one file exactly as loadImageFolder does; saveImage writes [C, H, W] tensors as PNG. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadImage, loadImages, saveImage } from '../../lib/data/image_file';
import { loadImageFolder } from '../../lib/data/images';
import { Tensor } from '../../lib/tensor';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-imagefile-'));
  const rgba = (w: number, h: number, seed: number) => {
    const d = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) d.set([(i * 7 + seed) % 256, (i * 13 + 2 * seed) % 256, (i * 29) % 256, 128 + (i % 128)], 4 * i);
    return d;
  };
  fs.mkdirSync(path.join(root, 'cls', 'a'), { recursive: true });
  fs.mkdirSync(path.join(root, 'cls', 'b'), { recursive: true });
  const png = new PNG({ width: 23, height: 17 });
  png.data = rgba(23, 17, 1);
  fs.writeFileSync(path.join(root, 'cls', 'a', 'x.png'), PNG.sync.write(png));
  fs.writeFileSync(path.join(root, 'cls', 'b', 'y.jpg'), jpeg.encode({ width: 23, height: 17, data: rgba(23, 17, 5) }, 90).data);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loadImage', () => {
  test.each([
    ['rgb', 3, [12, 10]], ['grayscale', 1, [32, 40]], ['rgb', 3, [17, 23]],
  ] as const)('%s at %j: bit-identical to the folder loader', async (colorMode, channels, size) => {
    const folder = await loadImageFolder(path.join(root, 'cls'), { targetSize: [size[0], size[1]], colorMode, shuffle: false, alpha: 'white' });
    const files = folder.train.files;
    const per = folder.train.images.size / files.length;
    files.forEach((f, k) => {
      const x = loadImage(f, { size: [size[0], size[1]], channels, alpha: 'white' });
      expect(x.shape).toEqual([channels, size[0], size[1]]);
      expect(Array.from(x.data)).toEqual(Array.from(folder.train.images.data.subarray(k * per, (k + 1) * per)));
    });
    const batch = loadImages(files, { size: [size[0], size[1]], channels, alpha: 'white' });
    expect(Array.from(batch.data)).toEqual(Array.from(folder.train.images.data));
  });

  test('default size is the file\'s; errors name the file or the option', () => {
    const f = path.join(root, 'cls', 'a', 'x.png');
    expect(loadImage(f).shape).toEqual([3, 17, 23]);
    expect(loadImage(f, { size: 8, channels: 1 }).shape).toEqual([1, 8, 8]);
    expect(() => loadImage(path.join(root, 'nope.png'))).toThrow(/nope\.png: cannot read/);
    fs.writeFileSync(path.join(root, 'bad.png'), 'not an image');
    expect(() => loadImage(path.join(root, 'bad.png'))).toThrow(/bad\.png: not a PNG or JPEG/);
    expect(() => loadImage(f, { channels: 2 as never })).toThrow(/channels: expected 1 \(grayscale\) or 3 \(RGB\)/);
    expect(() => loadImage(f, { sise: 3 } as never)).toThrow(/unknown option 'sise'/);
  });
});

describe('saveImage', () => {
  test('a [3, H, W] tensor round-trips through PNG (to 1/255); gray and the value range', () => {
    const f = path.join(root, 'out.png');
    const x = new Tensor(Float32Array.from({ length: 3 * 5 * 4 }, (_, i) => (i % 11) / 10), [3, 5, 4]);
    saveImage(f, x);
    const back = loadImage(f, { channels: 3 });
    expect(back.shape).toEqual([3, 5, 4]);
    back.data.forEach((v, i) => expect(Math.abs(v - x.data[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-7));
    saveImage(f, new Tensor(Float32Array.from([0, 255, 128, 2000]), [1, 2, 2]), { range: 255 });
    expect(Array.from(loadImage(f, { channels: 1 }).data).map((v) => Math.round(v * 255))).toEqual([0, 255, 128, 255]);
    expect(() => saveImage(f, new Tensor(new Float32Array(8), [2, 2, 2]))).toThrow(/x: expected a tensor \[C, H, W\] with C = 1, 3 or 4, got \[2, 2, 2\]/);
    expect(fs.readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});
