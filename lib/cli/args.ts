/**
 * Command-line parsing for `simdnet`: node:util parseArgs (strict: unknown flags are errors) plus value checks
 * that say which flag, what was expected and what came. Every problem is a UsageError, which main.ts prints
 * with the command's usage line and exits with code 2.
 */
import { parseArgs } from 'util';
import { nearestKey as nearestFlag } from '../validate';

/** A wrong command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

export interface FlagSpec {
  /** 'string' flags take a value; 'boolean' flags do not. */
  type: 'string' | 'boolean';
  /** Value used when the flag comes bare (string flags only), e.g. --augment. */
  bareValue?: string;
  short?: string;
}

/**
 * Parses argv (after the command name) against `flags`.
 * @throws {UsageError} an unknown flag, a missing value, positionals where none are allowed
 */
export function parseFlags(
  command: string,
  argv: string[],
  flags: Record<string, FlagSpec>,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  // string flags with a bare value: `--augment` alone (last, or before another flag) means `--augment=<bare>`;
  // `--lr -1` is the flag with the value -1
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') ? a.slice(2) : '';
    const spec = flags[name];
    const next = argv[i + 1];
    if (spec?.bareValue !== undefined && (next === undefined || next.startsWith('-'))) {
      args.push(`--${name}=${spec.bareValue}`);
    } else if (spec?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`--${name}=${next}`); // a negative number is a value, not a flag (checked by the flag's parser)
      i++;
    } else {
      args.push(a);
    }
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [k, s] of Object.entries(flags)) options[k] = s.short ? { type: s.type, short: s.short } : { type: s.type };
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    let msg = e.message;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /Unknown option '([^']+)'/.exec(e.message);
      const flag = m ? m[1] : '';
      const near = nearestFlag(flag.replace(/^-+/, '').replace(/=.*$/, ''), Object.keys(flags));
      msg = `unknown flag ${flag}${near ? ` (did you mean --${near}?)` : ''}`.trim();
    } else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const m = /Unexpected argument '([^']+)'/.exec(e.message);
      msg = `unexpected argument ${m ? `'${m[1]}'` : ''}`.trim();
    } else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      msg = e.message.replace(/^Option '([^']+)' argument missing$/, 'flag $1 needs a value');
    }
    throw new UsageError(msg, command);
  }
}

/** An integer flag in [min, max], or `dflt` when absent. */
export function intFlag(name: string, v: string | boolean | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^[+]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got '${String(v)}'`);
  }
  return n;
}

/** A number flag in the given range (exclusive bounds when asked), or `dflt` when absent. */
export function numFlag(
  name: string, v: string | boolean | undefined, dflt: number,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = range;
  const ok = Number.isFinite(n) && (minExclusive ? n > min : n >= min) && (maxExclusive ? n < max : n <= max);
  if (!ok) {
    const lo = `${minExclusive ? '(' : '['}${min}`;
    const hi = `${max}${maxExclusive ? ')' : ']'}`;
    throw new UsageError(`--${name}: expected a number in ${lo}, ${hi}, got '${String(v)}'`);
  }
  return n;
}

/** One of `choices`, or `dflt` when absent. */
export function choiceFlag<T extends string>(name: string, v: string | boolean | undefined, dflt: T, choices: readonly T[]): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(', ')}, got '${String(v)}'`);
  }
  return v as T;
}

/** A non-empty string flag, or `dflt` when absent. */
export function strFlag(name: string, v: string | boolean | undefined, dflt?: string): string | undefined {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name}: expected a value, got nothing`);
  return v;
}
