/**
 * Property-based fuzzing of every file reader (fast-check; scripts/fuzz/): valid seed files mutated (bit flips,
 * boundary values, truncation, insertion, deletion, format tokens) must either read or fail with the reader's
 * own TypeError/RangeError — never another error, never an engine error (null dereference, "Invalid typed array
 * length", stack overflow). A short, fixed-seed run per reader here; `npm run fuzz -- --minutes N` runs long and
 * keeps every failing input under test/fuzz/regressions/<reader>/, which this suite replays.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { applyMutations, caseArb } from '../../scripts/fuzz/mutate';
import { classify, READERS } from '../../scripts/fuzz/readers';

const RUNS = Number(process.env.SIMDNET_FUZZ_RUNS ?? 300);
const regressions = path.join(__dirname, 'regressions');

describe.each(READERS.map((r) => [r.name, r] as const))('%s reader', (_name, reader) => {
  const seeds = reader.seeds();
  const dict = reader.dict.map((t) => Uint8Array.from(Buffer.from(t, 'latin1')));

  test('every seed reads cleanly', () => {
    for (const s of seeds) expect(classify(reader, s)).toEqual({ ok: true });
  });

  test(`${RUNS} mutated inputs: a result or a TypeError/RangeError`, () => {
    fc.assert(
      fc.property(caseArb(seeds.length), (c) => {
        const r = classify(reader, applyMutations(seeds[c.seed], c.ops, dict));
        if (!r.ok) throw new Error(r.error);
      }),
      { numRuns: RUNS, seed: 20261203 },
    );
  }, 60000);

  const dir = path.join(regressions, reader.name);
  const kept = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort() : [];
  if (kept.length > 0) {
    test.each(kept)('regression %s', (file) => {
      expect(classify(reader, fs.readFileSync(path.join(dir, file)))).toEqual({ ok: true });
    });
  }
});
