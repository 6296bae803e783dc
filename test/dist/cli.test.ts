/**
 * `mpirun -np 2 simdnet train --distributed`, as users run it: one set of output files (rank 0's), one final line,
 * the communication figures in summary.json, and a checkpoint that one plain process can evaluate.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cliPath, describeMpi, mpirunFlags, run, tmpDir } from './helpers';

describeMpi('distributed: the CLI', () => {
  it('mpirun -np 2 simdnet train --distributed writes rank 0\'s files once and prints one summary', async () => {
    const out = path.join(tmpDir('cli'), 'run');
    const r = await run('mpirun', [...mpirunFlags(), '-np', '2', process.execPath, cliPath, 'train', '--distributed', '--model', 'mlp',
      '--epochs', '2', '--batch', '50', '--limit', '600', '--test-limit', '200', '--threads', '1', '--out', out, '--quiet'], {}, 120000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^done: 2\/2 epochs/gm)).toHaveLength(1); // rank 1 says nothing
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.distributed.ranks).toBe(2);
    expect(summary.distributed.steps).toBe(24);
    expect(summary.distributed.gradientBytesPerStep).toBe(summary.parameters * 4);
    expect(summary.distributed.weightsHash).toMatch(/^[0-9a-f]{64}$/);
    for (const f of ['model.safetensors', 'best.safetensors', 'history.json', 'loss.png']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const ev = await run(process.execPath, [cliPath, 'eval', '--model-file', path.join(out, 'model.safetensors'), '--limit', '200'], {}, 60000);
    expect(ev.code).toBe(0);
  });
});
