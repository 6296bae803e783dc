#!/usr/bin/env node
'use strict';
// Prints a group of native/sources.json, one path per line, for binding.gyp's <!@(...) expansion:
//   node scripts/sources.js baseline | node scripts/sources.js isa avx2 | node scripts/sources.js flags avx2
const path = require('path');
const list = require(path.join(__dirname, '..', 'native', 'sources.json'));
const [what, isa] = process.argv.slice(2);
let out;
if (what === 'baseline') out = list.baseline;
else if (what === 'isa' && list.isa[isa]) out = list.isa[isa].sources;
else if (what === 'flags' && list.isa[isa]) out = list.isa[isa].flags;
else {
  process.stderr.write(`usage: sources.js baseline | isa <name> | flags <name> (got: ${process.argv.slice(2).join(' ')})\n`);
  process.exit(2);
}
process.stdout.write(out.join('\n') + '\n');
