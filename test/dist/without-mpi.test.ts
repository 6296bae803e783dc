/**
 * Without MPI (SIMDNET_MPI=0 hides it, as on a machine where Open MPI is not installed): everything else works,
 * and asking for distributed training is one clear error that says what to install. The V8 check below runs
 * when MPI is here: initializing MPI must leave V8's own SIGSEGV handler in place (WebAssembly bounds checks).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { describeMpi, root } from './helpers';
import { ensureDist } from '../cli/dist';

const index = path.join(root, 'dist', 'lib', 'index.js');
const cli = path.join(root, 'dist', 'lib', 'cli', 'main.js');

function node(code: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
}

describe('distributed training without MPI', () => {
  beforeAll(() => ensureDist());

  it('Trainer({ distributed: true }) throws an Error naming what to install; one-process training still works', () => {
    const r = node(`
      const s = require(${JSON.stringify(index)});
      const x = new s.Tensor(new Float32Array(40).fill(0.5), [10, 4]);
      const t = new Int32Array(10);
      const net = () => new s.MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2 });
      new s.Trainer(net(), x, t, null, null, { epochs: 1, miniBatchSize: 5 }).train();
      console.log('mpiAvailable', s.mpiAvailable());
      try { new s.Trainer(net(), x, t, null, null, { distributed: true }); console.log('no error'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }
    `, { SIMDNET_MPI: '0' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/mpiAvailable false/);
    expect(r.stdout).toMatch(/^Error: simdnet: distributed training needs Open MPI, and SIMDNET_MPI=0 disables it\. To enable it: install Open MPI \(Debian\/Ubuntu: apt-get install openmpi-bin libopenmpi-dev\)/m);
  });

  it('simdnet train --distributed exits 1 with the same message, before loading any data', () => {
    const r = spawnSync(process.execPath, [cli, 'train', '--distributed', '--model', 'mlp', '--out', '/nonexistent/x'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, SIMDNET_MPI: '0' }, timeout: 60000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/simdnet train: error: simdnet: distributed training needs Open MPI.*apt-get install openmpi-bin libopenmpi-dev/);
  });

  it('a bad distributed option is a TypeError/RangeError naming it (before MPI is touched)', () => {
    const r = node(`
      const s = require(${JSON.stringify(index)});
      const net = new s.MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2 });
      const x = new s.Tensor(new Float32Array(8), [2, 4]);
      for (const d of [{ timeoutMs: 5 }, { bucketBytes: 1.5 }, { bucket: 1 }, 'yes']) {
        try { new s.Trainer(net, x, new Int32Array(2), null, null, { distributed: d }); console.log('accepted'); }
        catch (e) { console.log(e.constructor.name + ': ' + e.message); }
      }
    `, { SIMDNET_MPI: '0' });
    expect(r.stdout.trim().split('\n')).toEqual([
      'RangeError: distributed.timeoutMs: expected an integer in [100, 2147483647], got number 5',
      'RangeError: distributed.bucketBytes: expected an integer in [4, 2147483647], got number 1.5',
      'TypeError: distributed.bucket: expected no such option (timeoutMs, bucketBytes), got number 1',
      'TypeError: distributed: expected true or { timeoutMs?, bucketBytes? }, got string "yes"',
    ]);
  });
});

describeMpi('distributed: MPI inside Node', () => {
  it("after MPI_Init, V8's SIGSEGV handler still turns a WebAssembly out-of-bounds load into a RuntimeError", () => {
    // (module () (memory 1) (func (export "f") (result i32) (i32.load (i32.const 0x20000))))
    const wasm = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 5, 1, 1, 102, 0, 0, 10, 11, 1, 9, 0, 65, 128, 128, 8, 40, 2, 0, 11];
    const r = node(`
      const s = require(${JSON.stringify(index)});
      const comm = s.Communicator.world(30000);
      const m = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${JSON.stringify(wasm)})));
      try { m.exports.f(); console.log('no trap'); } catch (e) { console.log(e.constructor.name, comm.size); }
      comm.finalize();
    `, {});
    expect(r.stdout.trim()).toBe('RuntimeError 1');
    expect(r.status).toBe(0);
  });
});
