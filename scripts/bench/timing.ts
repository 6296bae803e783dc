/** Timing helpers of `npm run bench`: a monotonic clock, medians, and "warm up, then time N steps". */

/** Milliseconds from a monotonic clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface StepPlan {
  /** Untimed calls first (JIT, buffer allocation, optimizer state). */
  warmup: number;
  /** Timed calls wanted. */
  steps: number;
  /** Stop early once this much time went into timed calls and at least `minSteps` were taken. */
  budgetMs?: number;
  minSteps?: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  samplesMs: number[];
}

/** Calls `fn` plan.warmup times untimed, then times up to plan.steps calls (one sample per call). */
export function timeSteps(fn: () => void, plan: StepPlan): Timing {
  for (let i = 0; i < plan.warmup; i++) fn();
  const samples: number[] = [];
  const minSteps = Math.min(plan.steps, plan.minSteps ?? 3);
  let spent = 0;
  for (let i = 0; i < plan.steps; i++) {
    const t0 = nowMs();
    fn();
    const dt = nowMs() - t0;
    samples.push(dt);
    spent += dt;
    if (plan.budgetMs !== undefined && spent > plan.budgetMs && samples.length >= minSteps) break;
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), samplesMs: samples };
}
