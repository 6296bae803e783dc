/**
 * Every native export is registered through Export() (native/binding/export.cpp), which turns any C++ exception
 * into a JS error. A function registered directly with Napi::Function::New would let std::bad_alloc reach
 * std::terminate: this test finds any such registration in the binding sources.
 */
import * as fs from 'fs';
import * as path from 'path';

import { NATIVE_EXPORTS } from '../../lib/backend/addon';

const dir = path.join(__dirname, '..', '..', 'native', 'binding');
const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.cpp') || f.endsWith('.h'));

test('no binding source registers a function except through Export()', () => {
  const direct = sources.filter((f) => f !== 'export.cpp' && /Napi::Function::New\b/.test(fs.readFileSync(path.join(dir, f), 'utf8')));
  expect(direct).toEqual([]);
});

test('every export in NATIVE_EXPORTS is registered with Export()', () => {
  const text = sources.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const registered = new Set([...text.matchAll(/Export\(env, exports, "(\w+)"/g)].map((m) => m[1]));
  expect(NATIVE_EXPORTS.filter((n) => !registered.has(n))).toEqual([]);
});
