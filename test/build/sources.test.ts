/**
 * One source list feeds both build systems: CMakeLists.txt and binding.gyp read native/sources.json and list no
 * file of their own; every C++ file under native/ is listed exactly once; vector intrinsics appear only in the
 * per-ISA translation units; nothing is compiled for the build machine only.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
const sources = JSON.parse(read('native/sources.json')) as {
  baseline: string[];
  tools: string[];
  isa: Record<string, { flags: string[]; sources: string[] }>;
  mpi: { sources: string[] };
};

function walk(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name).split(path.sep).join('/')],
  );
}

/** binding.gyp is a Python literal: drop comments, then it parses as JSON. */
function readGyp(): { targets: { target_name: string; sources: string[]; cflags_cc: string[] }[] } {
  const text = read('binding.gyp')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
  return JSON.parse(text);
}

/** What gyp's <!@(cmd) expansion produces for a list. */
function expandGyp(list: string[]): string[] {
  return list.flatMap((entry) => {
    const m = /^<!@\((.*)\)$/.exec(entry);
    if (!m) return [entry];
    return execFileSync('sh', ['-c', m[1]], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  });
}

describe('one source list', () => {
  const isaFiles = Object.values(sources.isa).flatMap((g) => g.sources);
  const all = [...sources.baseline, ...isaFiles, ...sources.tools, ...sources.mpi.sources];

  test('every listed file exists, once', () => {
    for (const f of all) expect(fs.existsSync(path.join(root, f))).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  test('every C++ source under native/ is listed', () => {
    const cpp = walk('native').filter((f) => f.endsWith('.cpp'));
    expect(cpp.filter((f) => !all.includes(f))).toEqual([]);
  });

  test('binding.gyp expands to exactly the list, with each ISA group in its own target with its flags', () => {
    const gyp = readGyp();
    const expanded = gyp.targets.map((t) => ({ name: t.target_name, sources: expandGyp(t.sources), flags: expandGyp(t.cflags_cc) }));
    const main = expanded.find((t) => t.name === 'simdnet')!;
    expect(main.sources).toEqual(sources.baseline);
    expect(main.flags.some((f) => /^-m(avx|fma|f16c)/.test(f))).toBe(false);
    for (const [isa, group] of Object.entries(sources.isa)) {
      const t = expanded.find((x) => x.name === `simdnet_${isa}`);
      expect(t?.sources).toEqual(group.sources);
      for (const flag of group.flags) expect(t?.flags).toContain(flag);
    }
    // No file names written into binding.gyp itself.
    expect(read('binding.gyp')).not.toMatch(/\.cpp/);
  });

  test('the optional MPI addon (scripts/build-mpi.js) compiles the list\'s mpi group, which no main build includes', () => {
    expect(read('scripts/build-mpi.js')).toMatch(/require\(path\.join\(root, 'native', 'sources\.json'\)\)\.mpi\.sources/);
    expect(read('scripts/build-mpi.js')).not.toMatch(/\.cpp/);
    for (const f of sources.mpi.sources) expect([...sources.baseline, ...isaFiles]).not.toContain(f);
  });

  test('CMakeLists.txt reads the list and names no source file', () => {
    const cmake = read('CMakeLists.txt');
    expect(cmake).toMatch(/file\(READ "\$\{CMAKE_CURRENT_SOURCE_DIR\}\/native\/sources\.json"/);
    expect(cmake).not.toMatch(/\.cpp\b/);
    expect(cmake).toMatch(/set_source_files_properties\("\$\{_abs\}" PROPERTIES COMPILE_OPTIONS "\$\{_flags\}"\)/);
  });

  test('nothing shipped is compiled for this machine only, and no ISA flag is global', () => {
    for (const f of ['CMakeLists.txt', 'binding.gyp']) expect(read(f)).not.toMatch(/-m(arch|tune)=native/);
    expect(read('CMakeLists.txt')).not.toMatch(/CMAKE_CXX_FLAGS[^\n]*-m(avx|fma)/);
    expect(read('CMakeLists.txt')).not.toMatch(/target_compile_options\([^)]*-m(avx|fma)/);
  });

  test('vector intrinsics only in per-ISA translation units', () => {
    const offenders = walk('native')
      .filter((f) => /\.(cpp|h)$/.test(f) && !isaFiles.includes(f) && !/_avx2|_avx512/.test(path.basename(f)))
      .filter((f) => /#include\s*<immintrin\.h>|_mm256_|_mm512_/.test(read(f)));
    expect(offenders).toEqual([]);
  });
});
