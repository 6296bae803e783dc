/**
 * Learning comparison, for development (not run by tests or CI): ResNet-20 on Fashion-MNIST with one recipe,
 * trained by simdnet (its CLI, `simdnet train --model resnet20`) and by PyTorch (scripts/fashion_torch.py, the
 * identical network of scripts/bench_torch.py), printing both per-epoch curves and wall times side by side and
 * writing .bench/fashion.json.
 *
 *   npm run build && node dist/scripts/fashion-compare.js [--epochs 30] [--threads 2] [--seed 1]
 *        [--data /usr/share/datasets/fashion-mnist] [--no-torch] [--out .bench/fashion] [--limit N (a smoke run)]
 *
 * The data: Debian's `dataset-fashion-mnist` (apt-get install dataset-fashion-mnist puts the IDX files in
 * /usr/share/datasets/fashion-mnist), or any folder of the four Fashion-MNIST IDX files (.gz or not). It is never an
 * npm dependency; this script only reads the folder it is given.
 *
 * The recipe (both sides): pixels / 255 as [1, 28, 28]; ResNet-20 with padding shortcuts, He init; batch 128,
 * shuffled every epoch; SGD with momentum 0.9 in the book's form, lr 0.1 cosine-decayed per epoch to 0; L2 weight
 * decay 5e-4 on convolution and fully-connected weights; augmentation: pad 2 and random crop, random horizontal
 * flip; test accuracy on all 10,000 test images after every epoch (BN with running statistics). The two sides draw
 * different random numbers (init, shuffling, augmentation): the curves match in distribution, not bit for bit.
 * Issue 12's goal: simdnet within 0.3 points of PyTorch and >= 93 % test accuracy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../lib/package-root';
import { flag, PYTHON, run } from './compare-util';

interface Epoch {
  epoch: number;
  loss: number;
  testAcc: number;
  epochS: number;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const known = ['--epochs', '--threads', '--seed', '--data', '--no-torch', '--out', '--limit'];
  for (const a of argv) if (a.startsWith('--') && !known.includes(a)) throw new RangeError(`fashion-compare: unknown flag '${a}' (expected ${known.join(', ')})`);
  const epochs = flag(argv, 'epochs', '30');
  const threads = flag(argv, 'threads', '2');
  const seed = flag(argv, 'seed', '1');
  const data = flag(argv, 'data', '/usr/share/datasets/fashion-mnist');
  const limit = flag(argv, 'limit', ''); // a smoke run: the first N training and test images
  const limitArgs = limit === '' ? [] : ['--limit', limit];
  const pkg = packageRoot();
  const out = path.resolve(flag(argv, 'out', path.join(pkg, '.bench', 'fashion')));
  if (!fs.existsSync(path.join(data, 'train-labels-idx1-ubyte.gz')) && !fs.existsSync(path.join(data, 'train-labels-idx1-ubyte'))) {
    throw new Error(`fashion-compare: no Fashion-MNIST IDX files in ${data} (Debian: apt-get install dataset-fashion-mnist; or --data DIR)`);
  }

  console.log(`simdnet: ResNet-20 on Fashion-MNIST, ${epochs} epochs, ${threads} threads`);
  const t0 = Date.now();
  await run(process.execPath, [
    path.join(pkg, 'dist', 'lib', 'cli', 'main.js'), 'train', '--model', 'resnet20', '--data', data, '--epochs', epochs,
    '--batch', '128', '--optimizer', 'momentum', '--lr', '0.1', '--lr-schedule', 'cosine', '--weight-decay', '5e-4',
    '--augment', 'crop=2,hflip', '--eval-samples', '0', '--threads', threads, '--seed', seed, '--out', path.join(out, 'simdnet'), '--quiet',
    ...(limit === '' ? [] : ['--limit', limit, '--test-limit', limit]),
  ]);
  const simdnetWallS = (Date.now() - t0) / 1e3;
  const h = JSON.parse(fs.readFileSync(path.join(out, 'simdnet', 'history.json'), 'utf8')).history;
  const ours: Epoch[] = h.loss.map((loss: number, i: number) => ({ epoch: i + 1, loss, testAcc: h.testAcc[i], epochS: h.epochTimeMs[i] / 1e3 }));

  let theirs: Epoch[] = [];
  let torchWallS: number | null = null;
  if (!argv.includes('--no-torch')) {
    console.log(`PyTorch: the same recipe (${PYTHON} scripts/fashion_torch.py)`);
    const lines = await run(PYTHON, [path.join(pkg, 'scripts', 'fashion_torch.py'), '--data', data, '--epochs', epochs, '--threads', threads, '--seed', seed, ...limitArgs],
      { ...process.env, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads });
    const recs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    theirs = recs.filter((r) => r.epoch !== undefined).map((r) => ({ epoch: r.epoch, loss: r.loss, testAcc: r.test_acc, epochS: r.epoch_s }));
    torchWallS = recs.find((r) => r.done)?.wall_s ?? null;
  }

  console.log('\nepoch  simdnet loss  simdnet test acc  s/epoch   pytorch loss  pytorch test acc  s/epoch');
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    console.log(`${String(a.epoch).padStart(5)}  ${a.loss.toFixed(4).padStart(12)}  ${(a.testAcc * 100).toFixed(2).padStart(15)}%  ${a.epochS.toFixed(0).padStart(7)}   ` +
      (b ? `${b.loss.toFixed(4).padStart(12)}  ${(b.testAcc * 100).toFixed(2).padStart(15)}%  ${b.epochS.toFixed(0).padStart(7)}` : ''));
  }
  const fa = ours[ours.length - 1]?.testAcc ?? NaN;
  const fb = theirs[theirs.length - 1]?.testAcc ?? NaN;
  console.log(`\nfinal test accuracy: simdnet ${(fa * 100).toFixed(2)}%, PyTorch ${(fb * 100).toFixed(2)}% (difference ${((fa - fb) * 100).toFixed(2)} points; goal: within 0.3 and >= 93%)`);
  console.log(`wall time: simdnet ${simdnetWallS.toFixed(0)} s, PyTorch ${torchWallS === null ? 'n/a' : torchWallS.toFixed(0) + ' s'}`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'fashion.json'), JSON.stringify({ epochs: Number(epochs), threads: Number(threads), seed: Number(seed), simdnet: { epochs: ours, wallS: simdnetWallS }, pytorch: { epochs: theirs, wallS: torchWallS } }, null, 1) + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
