/**
 * The CLI tests run the compiled CLI (dist/lib/cli/main.js), as users do. If any lib/ source is newer than its
 * compiled file (or has none), dist is rebuilt with tsc first; if it is still stale after that, the test fails
 * with the list of files, instead of testing old code.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const root = path.join(__dirname, '..', '..');
export const cliPath = path.join(root, 'dist', 'lib', 'cli', 'main.js');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** lib/**.ts files whose dist/**.js is missing or older. */
export function staleFiles(): string[] {
  return sources(path.join(root, 'lib')).filter((src) => {
    const js = path.join(root, 'dist', path.relative(root, src)).replace(/\.ts$/, '.js');
    try {
      return fs.statSync(js).mtimeMs < fs.statSync(src).mtimeMs;
    } catch {
      return true;
    }
  });
}

/** Makes sure dist matches the sources (rebuilding once if needed); throws a clear error otherwise. */
export function ensureDist(): void {
  let stale = staleFiles();
  if (stale.length === 0) return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  stale = staleFiles();
  if (stale.length > 0) {
    throw new Error(
      `dist/ is stale and \`tsc -p tsconfig.json\` did not refresh it (run npm run build): ` +
      `${stale.map((f) => path.relative(root, f)).join(', ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`,
    );
  }
}
