/**
 * The JS <-> C++ boundary is declared once (native/ops.json) and generated (scripts/gen-ops.js): the checked-in
 * generated files must be what the generator makes of the spec now, and the interface hash compiled into the
 * addon must be the spec's, so an edited spec without `npm run gen` and a rebuild fails here.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { NATIVE_INTERFACE } from '../../lib/backend/addon';
import { OPTIMIZERRULE_VALUES } from '../../lib/backend/addon.generated';
import { requireNative, tsOnly } from '../helpers';

const root = path.join(__dirname, '..', '..');
const GENERATED = [
  'lib/backend/addon.generated.ts',
  'lib/backend/native.generated.ts',
  'native/core/ops_types.generated.h',
  'native/binding/ops.generated.h',
  'native/binding/ops.generated.cpp',
];

function gen(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(cwd, 'scripts', 'gen-ops.js'), ...args], { cwd, encoding: 'utf8' });
}

describe('generated boundary', () => {
  test('the generated files are up to date with native/ops.json', () => {
    const r = gen(root, '--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a changed spec makes the check fail, naming the stale files (in a copy of the tree)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-gen-'));
    try {
      for (const f of ['native/ops.json', 'scripts/gen-ops.js', ...GENERATED]) {
        fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
        fs.copyFileSync(path.join(root, f), path.join(dir, f));
      }
      expect(gen(dir, '--check').status).toBe(0);
      const spec = JSON.parse(fs.readFileSync(path.join(dir, 'native/ops.json'), 'utf8'));
      spec.enums.OptimizerRule.values.push({ name: 'lion', states: 1 });
      fs.writeFileSync(path.join(dir, 'native/ops.json'), JSON.stringify(spec, null, 2));
      const r = gen(dir, '--check');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/stale \(run npm run gen\): .*addon\.generated\.ts.*ops_types\.generated\.h/);
      // and the interface hash moves with it
      expect(gen(dir).status).toBe(0);
      const ts = fs.readFileSync(path.join(dir, 'lib/backend/addon.generated.ts'), 'utf8');
      expect(ts).toMatch(/export const NATIVE_INTERFACE = '[0-9a-f]{16}'/);
      expect(ts).not.toContain(`'${NATIVE_INTERFACE}'`);
      expect(ts).toContain(`'lion'`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  (tsOnly ? test.skip : test)('the addon in use was built from this spec', () => {
    expect(requireNative().addon.info().interface).toBe(NATIVE_INTERFACE);
  });
});

describe('generated guards', () => {
  const errorOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return `${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  (tsOnly ? test.skip : test)('enums cross as strings, options as structs: errors name the argument and field', () => {
    const a = requireNative().addon as unknown as Record<string, (...xs: unknown[]) => unknown>;
    const p = new Float32Array(4), g = new Float32Array(4), s = new Float32Array(4);
    expect(errorOf(() => a.optimizerStep('no-such-rule', p, g, s, s, { lr: 0.1 }))).toBe(
      `RangeError: rule: expected one of ${OPTIMIZERRULE_VALUES.map((r) => `'${r}'`).join(', ')}, got 'no-such-rule'`,
    );
    expect(errorOf(() => a.optimizerStep(3, p, g, s, s, { lr: 0.1 }))).toMatch(/^TypeError: rule: expected one of 'sgd'.*got number 3/);
    expect(errorOf(() => a.optimizerStep('sgd', p, g, null, null, { lr: NaN }))).toMatch(/^RangeError: hyper\.lr: expected a finite number, got NaN/);
    expect(errorOf(() => a.optimizerStep('sgd', p, g, null, null, { lr: 0.1, momentun: 0.9 }))).toBe("TypeError: hyper: unknown field 'momentun'");
    expect(errorOf(() => a.optimizerStep('adam', p, g, s, null, { lr: 0.1, t: 1 }))).toMatch(/^TypeError: s2: expected a Float32Array \(rule 'adam' keeps state in it\)/);
    expect(errorOf(() => a.optimizerStep('sgd', p, new Float32Array(3), null, null, { lr: 0.1 }))).toBe('RangeError: grad: expected at least 4 elements, got 3');
    expect(errorOf(() => a.optimizerStep('sgd', p, g, null, null, { lr: 0.1 }))).toBe('no error');
    const x = new Float32Array(6);
    const bn = (shape: unknown, options: unknown) => () => a.batchNormForward(x, shape, s, s, s, s, options, x, s, s);
    expect(errorOf(bn({ N: 2, C: 3, S: 1 }, { momentum: 0.9, eps: 1e-5, training: true, relu: false }))).toBe('no error');
    expect(errorOf(bn({ N: 2, C: 3.5, S: 1 }, { momentum: 0.9, eps: 1e-5, training: true, relu: false }))).toMatch(/^RangeError: shape\.C: expected an integer in \[1, /);
    expect(errorOf(bn({ N: 2, C: 3, S: 1 }, { momentum: 0.9, eps: 1e-5, training: 1, relu: false }))).toBe('TypeError: options.training: expected a boolean, got number 1');
    expect(errorOf(bn({ N: 2, C: 3, S: 1 }, { momentum: 0.9, eps: 1e-5, training: true }))).toMatch(/^TypeError: options\.relu/);
    expect(errorOf(bn({ N: 2, C: 5, S: 1 }, { momentum: 0.9, eps: 1e-5, training: true, relu: false }))).toBe('RangeError: x: expected at least 10 elements, got 6');
    expect(errorOf(() => a.activationForward('gelu', x, x, 0))).toMatch(/^RangeError: kind: expected one of 'relu', 'sigmoid', 'tanh', 'leakyRelu', got 'gelu'/);
    const geom = { N: 1, C: 1, H: 2, W: 2, KH: 3, KW: 1, stride: 1, pad: 0 };
    expect(errorOf(() => a.avgPoolForward(x, geom, x))).toMatch(/^RangeError: g\.KH: expected at most H \+ 2\*pad = 2/);
  });
});
