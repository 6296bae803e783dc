/**
 * The bad-input suite: every case of bad-input/table.js, on both backends. Each case expects a TypeError or
 * RangeError whose message names the argument (or, for a valid call or a valid-but-odd input, its documented
 * result). The cases run in a child process per backend (children/bad-input-run.js), so a case that crashes the
 * process (a signal) or hangs (no answer in CASE_TIMEOUT_MS) fails alone: the child is restarted after it.
 * GAPS lists the findings that are someone else's open work (named), skipped with their reason; the report of
 * the suite prints their count.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';

import { ensureDist, root } from '../cli/dist';
import { nativeBackendInstance } from '../../lib/backend';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { cases, ROWS, NOT_ENTRY_POINTS } = require('./bad-input/table.js');

interface Case { id: string; entry: string; names?: string[]; good?: boolean; odd?: boolean; expected?: unknown }
interface Result { id: string; threw?: boolean; type?: string; message?: string; value?: unknown; crashed?: string; hung?: boolean }

const child = path.join(__dirname, 'children', 'bad-input-run.js');
const CASE_TIMEOUT_MS = 20000;
const all: Case[] = cases();

/**
 * Findings left open: [why, test on the case]. Matching cases are skipped (listed as skipped by jest, with the
 * reason), not asserted; remove a gap when its fix lands (the cases then run and must pass). None is open now.
 */
const GAPS: [string, (c: Case) => boolean][] = [];

function gapOf(c: Case): string | null {
  for (const [why, match] of GAPS) if (match(c)) return why;
  return null;
}

/** Runs the cases from `from` on; resolves with the results it got and how the child ended. */
function runFrom(backend: string, from: number, results: Map<string, Result>): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, root, backend, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let next = from;
    let buf = '';
    let timer: NodeJS.Timeout;
    let hung = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        p.kill('SIGKILL');
      }, CASE_TIMEOUT_MS);
    };
    arm();
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const r = JSON.parse(buf.slice(0, nl)) as Result;
        buf = buf.slice(nl + 1);
        results.set(r.id, r);
        next++;
        arm();
      }
    });
    p.stderr.on('data', () => undefined);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (next < all.length) {
        const id = all[next].id;
        results.set(id, hung ? { id, hung: true } : { id, crashed: signal ?? `exit code ${code}` });
        resolve(next + 1);
      } else {
        resolve(all.length);
      }
    });
  });
}

async function runAll(backend: string): Promise<Map<string, Result>> {
  const results = new Map<string, Result>();
  for (let from = 0; from < all.length; ) from = await runFrom(backend, from, results);
  return results;
}

const backends = nativeBackendInstance() ? ['ts', 'native'] : ['ts'];
const results: Record<string, Promise<Map<string, Result>>> = {};

beforeAll(() => {
  ensureDist();
  for (const b of backends) results[b] = runAll(b);
}, 600000);

test('every export of the package is an entry point of the table, or listed with a reason', () => {
  const sn = require('../../lib');
  const covered = new Set((ROWS as { entry: string }[]).map((r) => r.entry.split(/[#.[]/)[0]));
  const missing = Object.keys(sn).filter((k) => !covered.has(k) && !(k in NOT_ENTRY_POINTS));
  // Add a row to test/robust/bad-input/table.js (or a reasoned entry in NOT_ENTRY_POINTS) for each of these.
  expect(missing).toEqual([]);
});

test('the table is several hundred cases per backend', () => {
  expect(all.length).toBeGreaterThan(500);
});

describe.each(backends)('%s backend', (backend) => {
  for (const c of all) {
    const gap = gapOf(c);
    const name = gap ? `${c.id} [gap: ${gap}]` : c.id;
    (gap ? test.skip : test)(name, async () => {
      const r = (await results[backend]).get(c.id);
      expect(r).toBeDefined();
      const got = r as Result;
      expect({ crashed: got.crashed, hung: got.hung }).toEqual({ crashed: undefined, hung: undefined });
      if (c.good) {
        expect(got).toEqual({ id: c.id, threw: false });
      } else if (c.odd) {
        expect({ threw: got.threw, message: got.message, same: isDeepStrictEqual(got.value, c.expected) }).toEqual({
          threw: false, message: undefined, same: true,
        });
      } else {
        const named = (c.names as string[]).some((n) => (got.message ?? '').includes(n));
        expect({ threw: got.threw, type: got.type, message: got.message, named }).toEqual({
          threw: true, type: expect.stringMatching(/^(TypeError|RangeError)$/), message: got.message, named: true,
        });
      }
    });
  }
});
