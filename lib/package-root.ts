/** Where the simdnet package is installed, for files that ship beside the code (package.json, prebuilds/). */
import * as fs from 'fs';
import * as path from 'path';

let root: string | undefined;

/**
 * The package root: the nearest directory above this file whose package.json is simdnet's. This file runs
 * from dist/lib (the published build, workers, CLI) or from lib (ts-jest), so the depth is not fixed.
 * @throws {Error} no simdnet package.json above this file (a broken install)
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = path.dirname(__dirname), i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'simdnet') return (root = dir);
  }
  throw new Error(`simdnet: cannot find the package root (a package.json named simdnet) above ${__dirname}`);
}

/** The package's version from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
