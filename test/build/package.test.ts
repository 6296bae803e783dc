/**
 * What the published package exposes and ships (from `npm pack --dry-run`, against the compiled dist/):
 *  - the entry point exports the public API only: no argument-checking helpers or other internals;
 *  - every relative import in a shipped .d.ts resolves to a shipped .d.ts, and every bare import is a dependency
 *    or a Node built-in (a consumer's type check never reaches for a file or package it does not have);
 *  - every shipped source map carries its sources (they point at lib/*.ts, which the package does not ship).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

const files = packedFiles();
const shipped = new Set(files);

test('the entry point exports no internal helper', () => {
  const api = require(path.join(root, 'dist', 'lib', 'index.js')) as Record<string, unknown>;
  const internal = [
    'checkInt', 'checkNumber', 'checkOptions', 'checkShape', 'checkF32', 'checkOneOf', 'describe', 'invalidType',
    'invalidRange', 'checkWeightInit', 'numericalGradientOf', 'compareGradients', 'sampleIndices', 'sumSquares',
    'targetLabels', 'isIdentityAugment', 'layoutChart',
  ];
  expect(internal.filter((k) => k in api)).toEqual([]);
  for (const k of ['Tensor', 'Trainer', 'SimpleConvNet', 'Adam', 'saveModel', 'loadMnist', 'checkNetworkGradient', 'toFloat16']) {
    expect(typeof api[k]).toBe('function');
  }
});

test('shipped .d.ts files import only shipped files, dependencies and Node built-ins', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
  const dts = files.filter((f) => f.endsWith('.d.ts'));
  expect(dts).toContain('dist/lib/index.d.ts');
  const bad: string[] = [];
  for (const f of dts) {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*|reference\s+(?:path|types)=)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('.')) {
        const target = path.posix.join(path.posix.dirname(f), spec);
        if (!shipped.has(`${target}.d.ts`) && !shipped.has(`${target}/index.d.ts`) && !shipped.has(target)) bad.push(`${f}: ${spec}`);
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!allowed.has(name.replace(/^node:/, ''))) bad.push(`${f}: ${spec}`);
      }
    }
  }
  expect(bad).toEqual([]);
});

test('shipped source maps carry their sources', () => {
  const maps = files.filter((f) => f.endsWith('.map'));
  const bad = maps.filter((f) => {
    const m = JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    return m.sources.some((s, i) => !m.sourcesContent?.[i] && !shipped.has(path.posix.join(path.posix.dirname(f), s)));
  });
  expect(bad).toEqual([]);
});
