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
