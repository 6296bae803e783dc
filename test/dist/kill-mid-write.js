'use strict';
// Child of test/dist/signals.test.ts: writes `target` atomically (lib/io/atomic.ts) in two chunks and, between them,
// sends itself `signal` — as when mpirun interrupts a job while rank 0 writes a checkpoint. Arguments: target, signal,
// guard ('mpi': the MPI addon is loaded, which guards the temporaries; 'none': it is not), listen ('1': a JS listener
// for the signal, so the signal does not end the process).
const path = require('path');
const root = path.join(__dirname, '..', '..');
const { writeFileAtomic } = require(path.join(root, 'dist', 'lib', 'io', 'atomic.js'));

const [target, signal, guard, listen] = process.argv.slice(2);
if (guard === 'mpi') require(path.join(root, 'dist', 'lib', 'dist', 'mpi.js')).loadMpi();
let heard = 0;
if (listen === '1') process.on(signal, () => heard++);
function* chunks() {
  yield Buffer.alloc(4096, 1);
  process.kill(process.pid, signal);
  yield Buffer.alloc(4096, 2);
}
writeFileAtomic(target, chunks());
process.stdout.write('written\n');
setTimeout(() => process.stdout.write(`heard ${heard}\n`), 100);
