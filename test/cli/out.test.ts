/**
 * `simdnet train --out` where no directory can be made: a clear error, fast (Node's recursive mkdir loops
 * forever under /proc, which made the command hang).
 */
import { spawnSync } from 'child_process';
import { cliPath, ensureDist, root } from './dist';

beforeAll(() => ensureDist(), 120000);

test('train --out /proc/x exits 1 within seconds, naming the folder', () => {
  const r = spawnSync(process.execPath, [cliPath, 'train', '--model', 'mlp', '--epochs', '1', '--limit', '100', '--out', '/proc/simdnet-x'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(r.signal).toBeNull(); // not killed by the timeout
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/simdnet train: error: cannot create directory \/proc\/simdnet-x: ENOENT/);
});
