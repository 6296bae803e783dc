/**
 * Allocation failure in the native core is a JS error, not an abort. Each case runs in a child process whose
 * address space is limited (prlimit RLIMIT_AS) to just above what it already uses, then asks the core for more:
 * std::bad_alloc thrown on the calling thread (sumRows's accumulators) or inside pool tasks (batch norm's
 * per-task statistics of a dense forward; its backward allocates nothing since issue 12) must come back as RangeError "out of memory: <op> ...", and the process must go on
 * computing. Before the fix each case died of SIGABRT (std::terminate).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { ensureDist, root } from '../cli/dist';
import { nativeBackendInstance } from '../../lib/backend';

const child = path.join(__dirname, 'children', 'oom.js');
const hasNative = nativeBackendInstance() !== null;

beforeAll(() => ensureDist());

const cases: [string, string][] = [
  ['sumRows', 'sumRows'],
  ['batchNormForward', 'batchNormForward'],
  ['batchNormLayer', 'batchNormForward'],
];

(hasNative ? test.each(cases) : test.skip.each(cases))('%s under a memory limit: RangeError naming %s, process survives', (name, op) => {
  const r = spawnSync(process.execPath, [child, root, name], {
    encoding: 'utf8',
    timeout: 120000,
    env: { ...process.env, SIMDNET_THREADS: '2' },
  });
  expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  const out = JSON.parse(r.stdout);
  expect(out).toEqual({
    threw: true,
    type: 'RangeError',
    message: expect.stringMatching(new RegExp(`^out of memory: ${op} `)),
    after: [6, 8, 10, 12],
  });
});
