/**
 * `simdnet train --model resnet20`: the CLI trains the built-in ResNet-20 on MNIST images ([1, 28, 28]), saves it
 * (a ResNet config + safetensors with the graph's parameter names), draws the stem's filters, and `eval` reads it back.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadModel } from '../../lib/io/model';
import { cliPath, ensureDist, root } from './dist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-cli-resnet-'));
beforeAll(() => ensureDist(), 120000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
}

test('train --model resnet20 (one short epoch), then eval: the model file is a ResNet-20 and eval agrees', () => {
  const out = path.join(tmp, 'run');
  const r = cli(['train', '--model', 'resnet20', '--epochs', '1', '--limit', '200', '--test-limit', '100', '--batch', '50', '--out', out, '--seed', '2']);
  if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/ResNet \(269434 parameters\) on 200 training images, 100 test images/);
  const net = loadModel(path.join(out, 'model.safetensors'));
  expect(net.type).toBe('ResNet');
  expect(net.config()).toMatchObject({ depth: 20, inputDim: [1, 28, 28], outputSize: 10 });
  expect(Object.keys(net.namedParams())[0]).toBe('stem/conv.W');
  expect(fs.statSync(path.join(out, 'filters_after.png')).size).toBeGreaterThan(100);
  const e = cli(['eval', '--model-file', path.join(out, 'model.safetensors'), '--limit', '100', '--json']);
  if (e.status !== 0) throw new Error(`exit ${e.status}\n${e.stdout}\n${e.stderr}`);
  const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  expect(JSON.parse(e.stdout).accuracy).toBe(s.testAcc);
}, 180000);
