/**
 * Image decode benchmark (a script, not a test): `npm run bench:decode [-- --count N]` (after `npm run build`).
 *
 * Writes a folder of N generated RGB PNGs (noise, so deflate cannot shrink them to nothing) at 28×28 and 32×32,
 * checks that every contender decodes them to the same pixels, then times each over the whole folder (bytes
 * already in memory; best of 3 passes) and prints images/s side by side:
 *   - decodeImage: simdnet's decoder (container + CRC + strict inflate checks, then fast-png, then RGBA);
 *   - pngjs: PNG.sync.read, what simdnet used before (it accepts truncated image data: see lib/data/decode.ts);
 *   - fast-png: the library alone, without simdnet's checks;
 *   - sharp: only when it can be required (it is not a dependency), awaited one by one and 16 at a time.
 * Timings on a shared machine are noisy: read them as orders of magnitude, with the load average printed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decode as fastPngDecode } from 'fast-png';
import { PNG } from 'pngjs';
import { decodeImage } from '../lib/data/decode';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function makePng(side: number, seed: number): Buffer {
  const p = new PNG({ width: side, height: side });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i & 3) === 3 ? 255 : ((i * 2654435761 + seed * 40503) >>> 13) & 255;
  return PNG.sync.write(p, { colorType: 2 });
}

function rate(n: number, fn: () => void): number {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return n / best;
}

async function rateAsync(n: number, fn: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return n / best;
}

async function main(): Promise<void> {
  const count = arg('count', 2000);
  let sharp: ((b: Buffer) => { raw(): { toBuffer(): Promise<Buffer> } }) | null = null;
  try {
    sharp = require('sharp'); // eslint-disable-line @typescript-eslint/no-require-imports
  } catch {
    sharp = null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-bench-decode-'));
  try {
    console.log(`decode benchmark: ${count} RGB PNGs per size, best of 3 passes; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${os.cpus().length} CPUs`);
    const rows: string[][] = [['size', 'decodeImage', 'pngjs', 'fast-png', 'sharp (1 by 1)', 'sharp (16 at once)']];
    for (const side of [28, 32]) {
      const sub = path.join(dir, String(side));
      fs.mkdirSync(sub);
      for (let i = 0; i < count; i++) fs.writeFileSync(path.join(sub, `${i}.png`), makePng(side, i));
      const files = fs.readdirSync(sub).map((f) => fs.readFileSync(path.join(sub, f)));
      for (const f of files.slice(0, 20)) {
        const a = decodeImage(f);
        const b = PNG.sync.read(f);
        if (!Buffer.from(a.data).equals(b.data)) throw new Error('decodeImage and pngjs disagree on a valid image');
      }
      const row = [
        `${side}x${side}`,
        rate(files.length, () => files.forEach((f) => decodeImage(f))),
        rate(files.length, () => files.forEach((f) => PNG.sync.read(f))),
        rate(files.length, () => files.forEach((f) => fastPngDecode(f))),
      ].map((v) => (typeof v === 'number' ? `${Math.round(v)}/s` : v));
      if (sharp) {
        const s = sharp;
        row.push(`${Math.round(await rateAsync(files.length, async () => { for (const f of files) await s(f).raw().toBuffer(); }))}/s`);
        row.push(`${Math.round(await rateAsync(files.length, async () => {
          for (let i = 0; i < files.length; i += 16) await Promise.all(files.slice(i, i + 16).map((f) => s(f).raw().toBuffer()));
        }))}/s`);
      } else {
        row.push('not installed', 'not installed');
      }
      rows.push(row);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) console.log(r.map((v, c) => v.padStart(widths[c])).join('  '));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
