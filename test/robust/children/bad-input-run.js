'use strict';
// Child process of test/robust/bad-input.test.ts: runs every case of bad-input/table.js on one backend and prints
// one JSON line per case ({ id, threw, type, message } or { id, value }), "begin <id>" on stderr before each, so
// a case that kills the process is named by the last line the parent saw.
// argv: <package root> <backend: native|ts> [first case index]
const [root, backend, fromArg = '0'] = process.argv.slice(2);
const sn = require(root);
const { cases } = require('../bad-input/table.js');

const all = cases();
(async () => {
for (let i = Number(fromArg); i < all.length; i++) {
  const c = all[i];
  sn.useBackend(backend);
  process.stderr.write(`begin ${c.id}\n`);
  let r;
  try {
    let v = c.run(sn);
    if (v && typeof v.then === 'function') v = await v;
    r = { id: c.id, threw: false, value: c.odd ? v : undefined };
  } catch (e) {
    r = { id: c.id, threw: true, type: e && e.constructor ? e.constructor.name : typeof e, message: String(e && e.message) };
  }
  process.stdout.write(JSON.stringify(r) + '\n');
}
process.stderr.write('end\n');
})();
