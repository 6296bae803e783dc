/**
 * What the development comparisons against PyTorch (scripts/fashion-compare.ts, scripts/start-compare.ts) share: a
 * flag's value and a child run with its output passed through.
 */
import { spawn } from 'child_process';
import * as readline from 'readline';

/** The python that runs the PyTorch sides (Debian's, where python3-torch installs). */
export const PYTHON = '/usr/bin/python3';

/** The value after `--name` in argv, else dflt. */
export function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

/** Runs a child with its stdout passed through (indented) and stderr inherited; resolves with its stdout lines. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      process.stdout.write(`  ${l}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))));
  });
}
