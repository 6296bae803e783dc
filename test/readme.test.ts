/**
 * The README's quick-start example runs as written (against the compiled package in dist/), in a temp folder.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');

test('the README quick start runs and trains', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- readme-example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  expect(m).not.toBeNull();
  const code = m![1].replace(/require\('simdnet'\)/g, `require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-readme-'));
  try {
    const file = path.join(dir, 'example.js');
    fs.writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const acc = Number(/accuracy ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(acc).toBeGreaterThan(0.7); // chance is 0.1: 100 Adam steps (0.83 measured) show it learns
    expect(r.stdout).toMatch(/first prediction 7/); // the first test digit is a 7
    expect(fs.existsSync(path.join(dir, 'simple.safetensors'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's own-images example runs on a generated class folder", () => {
  const { PNG } = require('pngjs') as typeof import('pngjs');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- readme-own-images[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  expect(m).not.toBeNull();
  const code = m![1].replace(/require\('simdnet'\)/g, `require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-readme-own-'));
  // three classes of 32×32 RGB squares of a colour on noise, imbalanced (60/20/30), and one new image
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const image = (file: string, color: number[]) => {
    const p = new PNG({ width: 32, height: 32 });
    const x0 = 4 + Math.floor(rand() * 12);
    const y0 = 4 + Math.floor(rand() * 12);
    for (let i = 0; i < 32 * 32; i++) {
      const inside = i % 32 >= x0 && i % 32 < x0 + 12 && Math.floor(i / 32) >= y0 && Math.floor(i / 32) < y0 + 12;
      for (let c = 0; c < 3; c++) p.data[4 * i + c] = inside ? color[c] : 60 + Math.floor(rand() * 80);
      p.data[4 * i + 3] = 255;
    }
    fs.writeFileSync(file, PNG.sync.write(p));
  };
  const classes: [string, number, number[]][] = [['circle', 60, [230, 40, 40]], ['square', 20, [40, 230, 40]], ['triangle', 30, [40, 40, 230]]];
  for (const [name, n, color] of classes) {
    fs.mkdirSync(path.join(dir, 'data', 'shapes', name), { recursive: true });
    for (let i = 0; i < n; i++) image(path.join(dir, 'data', 'shapes', name, `${i}.png`), color);
  }
  image(path.join(dir, 'new.png'), [40, 230, 40]);
  try {
    const file = path.join(dir, 'example.js');
    fs.writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Number(/validation accuracy ([\d.]+)/.exec(r.stdout)?.[1])).toBeGreaterThan(0.8);
    expect(r.stdout).toMatch(/new\.png is square/);
    for (const f of ['best.safetensors', 'deploy.safetensors']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
