/**
 * PyTorch yardstick of `npm run bench`: runs scripts/bench_torch.py (the same nets — the book's and ResNet-20 —, batch and thread count,
 * timed the same way) with Debian's /usr/bin/python3 when it can import torch. Never a dependency.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const PYTHON = '/usr/bin/python3';

export interface TorchResult {
  framework: string;
  net: 'simple' | 'deep' | 'resnet' | 'resnet-rgb';
  threads: number;
  batch: number;
  train_step_ms: number;
  infer_batch_ms: number;
  infer_images_per_s: number;
  mkldnn?: boolean;
  /** trainable scalars of the PyTorch network (the same count as simdnet's: the identical network) */
  params?: number;
  /** peak resident set size of the PyTorch process (getrusage), MB */
  max_rss_mb?: number;
}

/** torch's version when `/usr/bin/python3 -c 'import torch'` works, else null (with the reason). */
export function torchVersion(): { version: string | null; reason?: string } {
  if (!fs.existsSync(PYTHON)) return { version: null, reason: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { version: null, reason: (r.stderr || r.error?.message || 'import torch failed').trim().split('\n').pop() };
  return { version: r.stdout.trim() };
}

/** One run of bench_torch.py; throws with its stderr when it fails. */
export function runTorch(root: string, net: TorchResult['net'], threads: number, batch: number, steps: number, warmup: number): TorchResult {
  const script = path.join(root, 'scripts', 'bench_torch.py');
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const args = [script, '--net', net, '--threads', String(threads), '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env, timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`bench_torch.py --net ${net} --threads ${threads} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as TorchResult;
}
