#!/usr/bin/env node
'use strict';
// `npm run test:sanitize`: the native code under sanitizers. Never touches the shipped binary (build/).
//   1. AddressSanitizer + UndefinedBehaviorSanitizer: builds the addon into build-sanitize/ (cmake-js, the same
//      CMakeLists.txt and source list, -fsanitize=address,undefined -fno-sanitize-recover=all), then runs the
//      jest suites that call native code with that binary (SIMDNET_NATIVE_PATH, SIMDNET_BACKEND=native) in a node
//      whose allocator is ASan's (LD_PRELOAD=libasan.so: an ASan-built addon cannot load into a plain node
//      otherwise). Leak detection is off (V8 keeps its heap to exit). Child processes the tests start inherit all
//      of it. Reports are written to build-sanitize/reports/ and any report fails the run, even one from a
//      process whose failure a test might have expected.
//   2. ThreadSanitizer: Node cannot run under TSan, and the core needs no Node (native/core is plain C++), so a
//      driver (native/dev/core_stress.cpp, a core tool) exercises the thread pool and every threaded kernel, each
//      tier, from several threads at once; built with -fsanitize=thread (CMake, SIMDNET_CORE_TOOLS, into
//      build-sanitize/tsan/) and run with ASLR off (setarch -R: TSan's shadow mapping refuses the high-entropy
//      layouts of recent kernels).
// Options: --asan-only, --tsan-only; extra arguments after `--` go to jest (e.g. a single suite).
// Needs g++ with libasan/libubsan/libtsan (Debian: g++), cmake and setarch (util-linux); nothing is downloaded.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build-sanitize');
const reports = path.join(out, 'reports');
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const jestExtra = dash >= 0 ? args.slice(dash + 1) : [];
const flags = dash >= 0 ? args.slice(0, dash) : args;
const results = [];

// The suites that reach native code (and the bad-input/fault suites); the memory-limit suite is left out:
// ASan reserves terabytes of address space for its shadow memory, so RLIMIT_AS cannot be used under it.
const SUITES = ['test/ops', 'test/layers', 'test/nets', 'test/kernels', 'test/optimizers', 'test/data/augment-native',
  'test/robust', 'test/backend'];
const SKIP = ['test/robust/memory-limit', 'test/robust/kill-save', 'test/train/eventloop'];

function step(label, fn) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const t0 = Date.now();
  const ok = fn();
  results.push(`${ok ? 'ok  ' : 'FAIL'} ${label} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!ok) finish(1);
}

function finish(code) {
  process.stdout.write(`\n${results.join('\n')}\n`);
  process.exit(code);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) process.stderr.write(`${cmd}: ${r.error.message}\n`);
  return r.status === 0;
}

function gccFile(name) {
  const r = spawnSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' });
  const p = (r.stdout || '').trim();
  if (r.status !== 0 || !path.isAbsolute(p) || !fs.existsSync(p)) {
    process.stderr.write(`sanitize: g++ has no ${name} (install g++ with its sanitizer runtimes)\n`);
    finish(1);
  }
  return p;
}

/** Report files written by the sanitizers (log_path prefix), with their first lines. */
function collectReports() {
  if (!fs.existsSync(reports)) return [];
  return fs.readdirSync(reports).map((f) => {
    const text = fs.readFileSync(path.join(reports, f), 'utf8');
    return `${f}:\n${text.split('\n').slice(0, 30).join('\n')}`;
  });
}

function freshReports() {
  fs.rmSync(reports, { recursive: true, force: true });
  fs.mkdirSync(reports, { recursive: true });
}

function asan() {
  const san = '-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g';
  const addon = path.join(out, 'Release', 'simdnet.node');
  step('ASan+UBSan: build the addon into build-sanitize/', () =>
    run(process.execPath, [require.resolve('cmake-js/bin/cmake-js', { paths: [root] }), 'build', '--log-level', 'warn',
      '-O', out, '-B', 'Release', `--CDCMAKE_CXX_FLAGS=${san}`, '--CDCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined']) &&
    fs.existsSync(addon));
  freshReports();
  const env = {
    ...process.env,
    LD_PRELOAD: gccFile('libasan.so'),
    // V8 installs its own SIGSEGV handler (WebAssembly bounds traps): ASan must let it (handle_segv=0); a real
    // segfault still kills the process and fails its test.
    ASAN_OPTIONS: `detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:detect_odr_violation=0:abort_on_error=1:log_path=${reports}/asan`,
    UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=${reports}/ubsan`,
    SIMDNET_NATIVE_PATH: addon,
    SIMDNET_BACKEND: 'native',
  };
  const jest = require.resolve('jest/bin/jest', { paths: [root] });
  const suites = jestExtra.length > 0 ? jestExtra : [...SUITES, '--testPathIgnorePatterns', ...SKIP];
  step(`ASan+UBSan: jest ${suites.join(' ')}`, () => {
    const ok = run(process.execPath, [jest, ...suites], { env });
    const found = collectReports();
    for (const r of found) process.stderr.write(`\nsanitizer report ${r}\n`);
    process.stdout.write(`sanitizer reports: ${found.length}\n`);
    return ok && found.length === 0;
  });
}

function tsan() {
  // The core tools' CMake build (SIMDNET_CORE_TOOLS: native/core + kernels from native/sources.json, no Node),
  // every unit with -fsanitize=thread; the pool's unit test and the stress driver are built and run.
  const dir = path.join(out, 'tsan');
  const san = '-fsanitize=thread -fno-omit-frame-pointer -g';
  step('TSan: build native/dev/pool_test.cpp and core_stress.cpp with the core', () =>
    run('cmake', ['-S', root, '-B', dir, '-DSIMDNET_CORE_TOOLS=ON', '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_CXX_FLAGS=${san}`,
      '-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread'], { stdio: ['ignore', 'ignore', 'inherit'] }) &&
    run('cmake', ['--build', dir, '--parallel', '2', '--target', 'simdnet_pool_test', 'simdnet_core_stress']));
  freshReports();
  step('TSan: run pool_test and core_stress', () => {
    const env = { ...process.env, TSAN_OPTIONS: `halt_on_error=1:second_deadlock_stack=1:log_path=${reports}/tsan` };
    // setarch -R (util-linux) turns ASLR off for the drivers only.
    const arch = process.arch === 'x64' ? 'x86_64' : process.arch;
    const ok = ['simdnet_pool_test', 'simdnet_core_stress'].every((exe) => run('setarch', [arch, '-R', path.join(dir, exe)], { env }));
    const found = collectReports();
    for (const r of found) process.stderr.write(`\nsanitizer report ${r}\n`);
    process.stdout.write(`sanitizer reports: ${found.length}\n`);
    return ok && found.length === 0;
  });
}

if (!flags.includes('--tsan-only')) asan();
if (!flags.includes('--asan-only')) tsan();
finish(0);
