/**
 * Training progress for the CLI: a live bar (cli-progress) with running loss, accuracy, images/s and the
 * run's ETA when stdout is a terminal; otherwise plain log lines — one every `logEvery` batches and one per
 * epoch — that read well in CI logs and files.
 */
import * as cliProgress from 'cli-progress';
import type { BatchLogs, EpochLogs } from '../train/loop';

export interface ProgressOptions {
  epochs: number;
  /** Batches per epoch. */
  batches: number;
  /** Live bar (true) or plain lines (false). */
  tty: boolean;
  /** Plain mode: a line every this many batches (0: epoch lines only). */
  logEvery: number;
  /** Output (default: process.stdout). */
  out?: NodeJS.WritableStream;
  /** Epochs already done (resumed runs), for the ETA. */
  startEpoch?: number;
}

/** "1h02m", "4m05s", "12s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** One line per epoch, e.g. "epoch 3/20: loss 0.1234, train acc 0.9650, test acc 0.9601, lr 0.001, 31.2 s". */
const STANDARD = new Set(['loss', 'acc', 'val_loss', 'val_acc', 'test_acc', 'lr', 'time_ms']);

export function epochLine(epoch: number, epochs: number, l: EpochLogs): string {
  const parts = [`loss ${l.loss.toFixed(4)}`, `train acc ${l.acc.toFixed(4)}`];
  if (l.val_loss !== undefined) parts.push(`val loss ${l.val_loss.toFixed(4)}`, `val acc ${l.val_acc!.toFixed(4)}`);
  if (l.test_acc !== undefined) parts.push(`test acc ${l.test_acc.toFixed(4)}`);
  for (const k of Object.keys(l)) {
    // the Trainer's `metrics` extras (--metrics): f1, val_f1, …
    if (!STANDARD.has(k) && typeof l[k] === 'number') parts.push(`${k.replace('_', ' ')} ${l[k]!.toFixed(4)}`);
  }
  parts.push(`lr ${Number(l.lr.toPrecision(4))}`, `${(l.time_ms / 1000).toFixed(1)} s`);
  return `epoch ${epoch + 1}/${epochs}: ${parts.join(', ')}`;
}

/**
 * Tracks the run and draws it. Call batch() per batch, epochEnd() per epoch, close() at the end.
 */
export class Progress {
  private readonly out: NodeJS.WritableStream;
  private bar: cliProgress.SingleBar | null = null;
  private readonly t0 = Date.now();
  private samples = 0;
  private batchesDone = 0;
  private epochLoss = 0;
  private epochAcc = 0;
  private epochSamples = 0;
  private readonly window: { t: number; n: number }[] = [];
  private lastSpeed = 0;

  constructor(private readonly o: ProgressOptions) {
    this.out = o.out ?? process.stdout;
  }

  /** Training images per second over the last few seconds of this epoch (the previous value at its first batch). */
  private speed(now: number): number {
    this.window.push({ t: now, n: this.samples });
    while (this.window.length > 2 && now - this.window[0].t > 5000) this.window.shift();
    const first = this.window[0];
    if (now > first.t && this.samples > first.n) this.lastSpeed = ((this.samples - first.n) * 1000) / (now - first.t);
    return this.lastSpeed;
  }

  /** Remaining time of the whole run, from the average pace so far. */
  private eta(b: BatchLogs, now: number): number {
    const total = (this.o.epochs - (this.o.startEpoch ?? 0)) * this.o.batches;
    const left = (this.o.epochs - b.epoch - 1) * this.o.batches + (b.batches - b.batch - 1);
    return this.batchesDone > 0 ? ((now - this.t0) / this.batchesDone) * Math.min(left, total) : NaN;
  }

  batch(b: BatchLogs): void {
    const now = Date.now();
    if (b.batch === 0 || this.epochSamples === 0) {
      this.epochLoss = 0;
      this.epochAcc = 0;
      this.epochSamples = 0;
      this.window.length = 0; // the speed counts training batches, not the evaluation between epochs
    }
    this.samples += b.size;
    this.batchesDone++;
    this.epochLoss += b.loss * b.size;
    this.epochAcc += b.acc * b.size;
    this.epochSamples += b.size;
    const payload = {
      epoch: b.epoch + 1,
      epochs: this.o.epochs,
      loss: (this.epochLoss / this.epochSamples).toFixed(4),
      acc: (this.epochAcc / this.epochSamples).toFixed(4),
      speed: this.speed(now).toFixed(0),
      etaTotal: formatDuration(this.eta(b, now)),
    };
    if (this.o.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: 'epoch {epoch}/{epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {speed} img/s | ETA {etaTotal}',
            stream: this.out,
            hideCursor: true,
            barsize: 24,
            fps: 10,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(b.batches, b.batch + 1, payload);
      } else {
        this.bar.update(b.batch + 1, payload);
      }
    } else if (this.o.logEvery > 0 && (b.batch + 1) % this.o.logEvery === 0 && b.batch + 1 < b.batches) {
      this.out.write(
        `epoch ${payload.epoch}/${payload.epochs} batch ${b.batch + 1}/${b.batches}: loss ${payload.loss}, acc ${payload.acc}, ` +
        `${payload.speed} img/s, ETA ${payload.etaTotal}\n`,
      );
    }
  }

  epochEnd(epoch: number, logs: EpochLogs): void {
    this.closeBar();
    this.epochSamples = 0;
    this.out.write(`${epochLine(epoch, this.o.epochs, logs)}\n`);
  }

  /** A message between bars (e.g. "stopping…"). */
  note(line: string): void {
    if (this.bar) this.out.write('\n');
    this.out.write(`${line}\n`);
  }

  close(): void {
    this.closeBar();
  }

  private closeBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
