import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage, loadImageFolder, resizePlane } from '../../lib/data/images';

const fixtureDir = path.join(__dirname, '..', 'fixtures', 'io');

/** A w×h RGBA image filled by fn(x, y) -> [r, g, b, a]. */
function rgba(w: number, h: number, fn: (x: number, y: number) => number[]): Buffer {
  const d = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d.set(fn(x, y), 4 * (y * w + x));
  return d;
}

function writePng(file: string, w: number, h: number, fn: (x: number, y: number) => number[], colorType: 0 | 2 | 4 | 6 = 6): void {
  const png = new PNG({ width: w, height: h, colorType, inputColorType: 6, inputHasAlpha: true });
  png.data = rgba(w, h, fn);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true }));
}

function writeJpeg(file: string, w: number, h: number, fn: (x: number, y: number) => number[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba(w, h, fn) }, 100).data);
}

const solid = (c: number[]) => () => [...c, 255];

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-images-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loadImageFolder', () => {
  let dir: string;
  beforeAll(() => {
    dir = path.join(root, 'basic');
    writePng(path.join(dir, 'red', 'a.png'), 6, 4, solid([255, 0, 0]));
    writePng(path.join(dir, 'red', 'b.png'), 3, 9, solid([255, 0, 0]), 2);
    writeJpeg(path.join(dir, 'green', 'g.jpg'), 16, 16, solid([0, 255, 0]));
    writePng(path.join(dir, 'blue', 'sub', 'deep.PNG'), 8, 8, solid([77, 77, 77]), 0 /* greyscale PNG */);
    writePng(path.join(dir, 'blue', 'c.png'), 5, 5, solid([0, 0, 255]), 2);
    fs.writeFileSync(path.join(dir, 'blue', 'notes.txt'), 'not an image');
    fs.copyFileSync(path.join(fixtureDir, 'palette.png'), path.join(dir, 'green', 'pal.png'));
  });

  test('classes from sorted folder names, RGB planes in [0, 1], resized', async () => {
    const { train, validation, classNames } = await loadImageFolder(dir, { targetSize: [4, 4], colorMode: 'rgb', shuffle: false });
    expect(classNames).toEqual(['blue', 'green', 'red']);
    expect(validation).toBeUndefined();
    expect(train.images.shape).toEqual([6, 3, 4, 4]);
    expect([...train.labels]).toEqual([0, 0, 1, 1, 2, 2]);
    expect(train.files.map((f) => path.relative(dir, f))).toEqual([
      path.join('blue', 'c.png'), path.join('blue', 'sub', 'deep.PNG'), path.join('green', 'g.jpg'), path.join('green', 'pal.png'),
      path.join('red', 'a.png'), path.join('red', 'b.png'),
    ]);
    const px = (n: number, c: number, i = 5): number => train.images.data[n * 48 + c * 16 + i];
    expect([px(0, 0), px(0, 1), px(0, 2)]).toEqual([0, 0, 1]);
    expect(px(2, 1)).toBeGreaterThan(0.99); // JPEG, quality 100
    expect(px(2, 0)).toBeLessThan(0.01);
    for (const n of [4, 5]) expect([px(n, 0), px(n, 1), px(n, 2)]).toEqual([1, 0, 0]);
    // palette PNG: columns red, green, blue, red -> 4 columns exactly at this size
    expect([0, 1, 2, 3].map((x) => [px(3, 0, x), px(3, 1, x), px(3, 2, x)])).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]);
    // a greyscale PNG fills all three channels
    expect([px(1, 0), px(1, 1), px(1, 2)]).toEqual([77, 77, 77].map((v) => Math.fround(v / 255)));
  });

  test('grayscale uses the 0.299/0.587/0.114 luma', async () => {
    const { train } = await loadImageFolder(dir, { targetSize: [2, 3], colorMode: 'grayscale', shuffle: false });
    expect(train.images.shape).toEqual([6, 1, 2, 3]);
    expect(train.images.data[0]).toBeCloseTo(0.114, 6);
    expect(train.images.data[4 * 6]).toBeCloseTo(0.299, 6);
    expect(train.images.data[2 * 6]).toBeCloseTo(0.587, 2);
  });

  test('split: deterministic for a seed, disjoint, complete; shuffle changes only the order', async () => {
    const d = path.join(root, 'many');
    for (let i = 0; i < 20; i++) writePng(path.join(d, i % 3 === 0 ? 'x' : 'y', `${String(i).padStart(2, '0')}.png`), 2, 2, solid([i * 10, 0, 0]));
    const a = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.25, seed: 3 });
    const b = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.25, seed: 3 });
    const c = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.25, seed: 4 });
    expect(a.train.files).toEqual(b.train.files);
    expect(a.validation!.files).toEqual(b.validation!.files);
    expect([...a.train.images.data]).toEqual([...b.train.images.data]);
    expect(a.validation!.files.length).toBe(5);
    expect(a.train.files.length).toBe(15);
    expect(new Set([...a.train.files, ...a.validation!.files]).size).toBe(20);
    expect(c.validation!.files).not.toEqual(a.validation!.files);
    const unshuffled = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', validationSplit: 0.25, seed: 3, shuffle: false });
    expect([...unshuffled.validation!.files].sort()).toEqual([...a.validation!.files].sort());
    expect(unshuffled.train.files).toEqual([...a.train.files].sort());
    // labels follow their files
    a.train.files.forEach((f, k) => expect(a.train.labels[k]).toBe(path.basename(path.dirname(f)) === 'x' ? 0 : 1));
  });

  test('alpha: dropped by default, composited over white on request; 16-bit PNG scaled to 8 bits', async () => {
    const d = path.join(root, 'alpha');
    writePng(path.join(d, 'k', 'half.png'), 2, 2, () => [0, 0, 0, 128]);
    fs.mkdirSync(path.join(d, 'l'));
    fs.copyFileSync(path.join(fixtureDir, 'gray16.png'), path.join(d, 'l', 'g16.png'));
    const drop = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', shuffle: false });
    expect(drop.train.images.data[0]).toBe(0);
    const white = await loadImageFolder(d, { targetSize: [2, 2], colorMode: 'grayscale', alpha: 'white', shuffle: false });
    expect(white.train.images.data[0]).toBeCloseTo(1 - 128 / 255, 5);
    const g16 = await loadImageFolder(path.join(d), { targetSize: [2, 4], colorMode: 'grayscale', shuffle: false, interpolation: 'nearest' });
    expect([...g16.train.images.data.subarray(8, 12)].map((v) => Math.round(v * 255))).toEqual([0, 255, 128, 4]);
  });

  test('a corrupt image is an Error naming the file', async () => {
    const d = path.join(root, 'corrupt');
    writePng(path.join(d, 'a', 'ok.png'), 2, 2, solid([1, 2, 3]));
    const good = fs.readFileSync(path.join(d, 'a', 'ok.png'));
    fs.writeFileSync(path.join(d, 'a', 'trunc.png'), good.subarray(0, good.length - 20));
    await expect(loadImageFolder(d, { targetSize: [2, 2] })).rejects.toThrow(/images: .*trunc\.png: cannot decode/);
    fs.writeFileSync(path.join(d, 'a', 'trunc.png'), Buffer.from('GIF89a not supported'));
    await expect(loadImageFolder(d, { targetSize: [2, 2] })).rejects.toThrow(/images: .*trunc\.png: not a PNG or JPEG file/);
    const j = path.join(root, 'corrupt-jpeg');
    writeJpeg(path.join(j, 'a', 'x.jpg'), 8, 8, solid([9, 9, 9]));
    const jb = fs.readFileSync(path.join(j, 'a', 'x.jpg'));
    fs.writeFileSync(path.join(j, 'a', 'x.jpg'), jb.subarray(0, 30));
    await expect(loadImageFolder(j, { targetSize: [2, 2] })).rejects.toThrow(/images: .*x\.jpg: cannot decode/);
  });

  test('bounds: an image over maxResolutionInMP is refused before decoding', () => {
    const png = PNG.sync.write(Object.assign(new PNG({ width: 4, height: 4 }), { data: rgba(4, 4, solid([0, 0, 0])) }));
    const huge = Buffer.from(png);
    huge.writeUInt32BE(100000, 16);
    huge.writeUInt32BE(100000, 20);
    expect(() => decodeImage(huge, 'huge.png')).toThrow(/huge\.png: cannot decode \(100000x100000 exceeds maxResolutionInMP 100\)/);
    const jp = jpeg.encode({ width: 64, height: 64, data: rgba(64, 64, solid([5, 5, 5])) }, 90).data;
    expect(() => decodeImage(jp, 'j.jpg', { maxResolutionInMP: 0.001 })).toThrow(/j\.jpg: cannot decode/);
  });

  test('sizes without targetSize must agree; bad options', async () => {
    await expect(loadImageFolder(dir, { colorMode: 'rgb' })).rejects.toThrow(/pass targetSize to resize/);
    const same = path.join(root, 'same');
    writePng(path.join(same, 'a', '1.png'), 3, 2, solid([0, 0, 0]));
    writePng(path.join(same, 'b', '2.png'), 3, 2, solid([255, 255, 255]));
    expect((await loadImageFolder(same)).train.images.shape).toEqual([2, 3, 2, 3]);
    await expect(loadImageFolder(same, { colorMode: 'cmyk' as 'rgb' })).rejects.toThrow(RangeError);
    await expect(loadImageFolder(same, { targetSize: [0, 3] })).rejects.toThrow(/targetSize\[0\]/);
    await expect(loadImageFolder(same, { validationSplit: 1 })).rejects.toThrow(/validationSplit/);
    await expect(loadImageFolder(path.join(root, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('resizePlane', () => {
  test('matches PIL BILINEAR on a float image (down, up, same, mixed, 1x1)', () => {
    const ref = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'resize_bilinear_pil.json'), 'utf8'));
    const src = Float32Array.from(ref.src);
    for (const c of ref.cases) {
      const out = new Float32Array(c.h * c.w);
      resizePlane(src, ref.h, ref.w, out, 0, c.h, c.w, 'bilinear');
      let worst = 0;
      out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.out[i]) / (1e-6 + 1e-5 * Math.abs(c.out[i])))));
      expect({ size: `${c.h}x${c.w}`, ok: worst <= 1 }).toEqual({ size: `${c.h}x${c.w}`, ok: true });
    }
  });

  test('constant images stay constant; nearest picks source pixels', () => {
    const src = new Float32Array(7 * 11).fill(0.25);
    const out = new Float32Array(3 * 5);
    resizePlane(src, 7, 11, out, 0, 3, 5);
    for (const v of out) expect(v).toBeCloseTo(0.25, 6);
    const ramp = Float32Array.from({ length: 4 }, (_, i) => i);
    const up = new Float32Array(8);
    resizePlane(ramp, 1, 4, up, 0, 1, 8, 'nearest');
    expect([...up]).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});
