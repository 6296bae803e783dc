/**
 * Indices in memory another thread can change (a SharedArrayBuffer): the labels of the loss and the argmax of
 * max pooling. A worker thread flips them between valid and wild values in a loop while the main thread calls
 * net.gradient / net.loss / maxPoolBackward for a few seconds. Each call computes or throws a clean RangeError;
 * the process never dies (before the fix the binding checked the labels, then the core read them again and
 * wrote out of bounds: SIGSEGV within a second). Run in a child process, so a crash fails the test instead of
 * killing jest.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { ensureDist, root } from '../cli/dist';
import { nativeBackendInstance } from '../../lib/backend';

const child = path.join(__dirname, 'children', 'sab-race.js');

beforeAll(() => ensureDist());

const backends = nativeBackendInstance() ? ['native', 'ts'] : ['ts'];

test.each(backends)('shared labels and argmax flipped by a worker: no crash, only RangeErrors (%s)', (backend) => {
  // 3 s of calls per part (loss/gradient, then max-pool backward): the unfixed native code died within 1.5 s.
  const r = spawnSync(process.execPath, [child, root, '3', backend], { encoding: 'utf8', timeout: 300000 });
  expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  const out = JSON.parse(r.stdout);
  expect(out.other).toEqual([]);
  expect(out.calls).toBeGreaterThan(100);
  // The race was exercised: some calls saw wild indices (and refused them cleanly).
  expect(out.rangeErrors).toBeGreaterThan(0);
});
