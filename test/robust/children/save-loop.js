'use strict';
// Child process of test/robust/kill-save.test.ts: saves a ~40 MB network to one target over and over, every
// parameter filled with the generation number g = 1, 2, 3, ... (so a reader can tell a whole file of one
// generation from a torn mix). Prints "start <g>" before each save and "done <g>" after. Runs until killed.
// argv: <package root> <target> <format: model|npz>
const [root, target, format] = process.argv.slice(2);
const sn = require(root);
const net = require('./save-net.js')(sn);
for (let g = 1; ; g++) {
  for (const p of Object.values(net.namedParams())) p.value.data.fill(g);
  process.stdout.write(`start ${g}\n`);
  if (format === 'model') sn.saveModel(net, target);
  else sn.saveNpzWeights(net, target);
  process.stdout.write(`done ${g}\n`);
}
