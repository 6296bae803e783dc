/**
 * SIMDNET_NATIVE_PATH pointing at a text file: a clear error naming the variable and the file, not the
 * SyntaxError of require() reading it as JavaScript (issue 9). Runs the compiled package in a child process.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureDist, root } from '../cli/dist';

beforeAll(() => ensureDist(), 120000);

test('a text file is an error naming SIMDNET_NATIVE_PATH and the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-native-path-'));
  try {
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'these are my notes, not an addon\n');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))}).backendInfo()`], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, SIMDNET_BACKEND: undefined, SIMDNET_NATIVE_PATH: notes },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`Error: SIMDNET_NATIVE_PATH=${notes}: not a native addon (`);
    expect(r.stderr).toContain('expected the path of a simdnet.node build');
    expect(r.stderr).not.toMatch(/^SyntaxError/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
