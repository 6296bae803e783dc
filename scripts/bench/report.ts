/** Text output of `npm run bench`: aligned tables and number formatting. */
import * as fs from 'fs';
import * as os from 'os';

/** A number with ~3 significant digits (ms, ratios, GFLOP/s); '—' for null/NaN. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 10 ** digits) return v.toFixed(0);
  const decimals = a === 0 ? 0 : Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return v.toFixed(Math.min(decimals, 4));
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

export function ratio(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${num(v)}×`;
}

/** Prints rows under headers; columns listed in `left` are left-aligned, the rest right-aligned. */
export function printTable(headers: string[], rows: string[][], left: readonly number[] = [0]): void {
  const width = headers.map((h, c) => Math.max([...h].length, ...rows.map((r) => [...(r[c] ?? '')].length)));
  const pad = (s: string, c: number) => {
    const fill = ' '.repeat(width[c] - [...s].length);
    return left.includes(c) ? s + fill : fill + s;
  };
  const line = (r: string[]) => r.map((s, c) => pad(s ?? '', c)).join('  ').trimEnd();
  console.log(line(headers));
  console.log(width.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export interface Machine {
  cpu: string;
  cores: number;
  flags: string[];
  node: string;
  platform: string;
  loadavg: number[];
  date: string;
}

/** CPU model and SIMD flags from /proc/cpuinfo (falls back to os.cpus()), cores, node version, load, date. */
export function machineInfo(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? cpu;
    const all = /^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(/\s+/) ?? [];
    flags = all.filter((f) => /^(avx|avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_bf16|avx512_fp16|amx_\w+)$/.test(f));
  } catch {
    /* not Linux */
  }
  return {
    cpu,
    cores: os.cpus().length,
    flags,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg: os.loadavg().map((v) => Number(v.toFixed(2))),
    date: new Date().toISOString(),
  };
}
