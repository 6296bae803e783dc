/**
 * A signal that ends the process in the middle of an atomic write leaves no temporary file (native/dist/signals.h,
 * lib/io/atomic.ts): mpirun ends the ranks of an interrupted job with SIGTERM, and a terminal sends SIGINT; a write
 * is synchronous, so no JS handler could clean up. Where JS listens for the signal, the process goes on and so does
 * the write. Needs the MPI addon (which installs the guard); without it, the control case shows the temporary the
 * interrupted write used to leave.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeMpi, run, tmpDir } from './helpers';

const child = path.join(__dirname, 'kill-mid-write.js');

async function interrupted(signal: string, guard: 'mpi' | 'none', listen = false, old?: string) {
  const dir = tmpDir('signal');
  const target = path.join(dir, 'ck.safetensors');
  if (old !== undefined) fs.writeFileSync(target, old);
  const r = await run(process.execPath, [child, target, signal, guard, listen ? '1' : '0'], {}, 30000);
  return { r, target, left: fs.readdirSync(dir).filter((f) => f !== 'ck.safetensors') };
}

describeMpi('distributed: no temporary file left by a signal mid-write', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'])('%s mid-write ends the process and the temporary is gone', async (signal) => {
    const { r, target, left } = await interrupted(signal, 'mpi');
    expect(r.signal).toBe(signal); // ended by the signal, as without the guard (the handler passed it on)
    expect(r.stdout).not.toMatch(/written/);
    expect(left).toEqual([]);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('the file that was there stays byte-identical', async () => {
    const { r, target, left } = await interrupted('SIGTERM', 'mpi', false, 'the old checkpoint');
    expect(r.signal).toBe('SIGTERM');
    expect(left).toEqual([]);
    expect(fs.readFileSync(target, 'utf8')).toBe('the old checkpoint');
  });

  it('control: without the guard the interrupted write leaves its temporary (what mpirun interrupts used to leave)', async () => {
    const { r, left } = await interrupted('SIGTERM', 'none');
    expect(r.signal).toBe('SIGTERM');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.ck\.safetensors\.tmp-\d+-[0-9a-f]{12}$/);
  });

  it('a signal JS listens for does not end the process: the write completes, nothing removed under it', async () => {
    const { r, target, left } = await interrupted('SIGINT', 'mpi', true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/written\nheard 1/);
    expect(left).toEqual([]);
    expect(fs.statSync(target).size).toBe(8192);
  });
});
