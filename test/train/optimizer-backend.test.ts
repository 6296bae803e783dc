/**
 * The optimizer follows the network it updates: a network built on one backend and trained with the Trainer
 * (train(), fit() on this thread) gets its updates from that backend, never from the process default.
 * The default backend is poisoned (its optimizerStep throws) and the network's backend counts its steps.
 */
import { getBackend, TsBackend } from '../../lib/backend';
import type { Backend } from '../../lib/backend/types';
import { MultiLayerNet } from '../../lib/nets';
import { Adam, SGD } from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train/trainer';
import { randomArray } from '../helpers';

/** A TypeScript backend of its own (not the default instance) that counts optimizer steps. */
function countingBackend(): { backend: Backend; steps: () => number } {
  const backend = new TsBackend();
  let n = 0;
  const step = backend.optimizerStep.bind(backend);
  backend.optimizerStep = (...args: Parameters<Backend['optimizerStep']>) => {
    n++;
    step(...args);
  };
  return { backend, steps: () => n };
}

const x = new Tensor(randomArray(20 * 6, 5), [20, 6]);
const t = Int32Array.from({ length: 20 }, (_, i) => i % 3);

let poisoned: jest.SpyInstance;
beforeEach(() => {
  poisoned = jest.spyOn(getBackend(), 'optimizerStep').mockImplementation(() => {
    throw new Error('the default backend ran an optimizer step for a network on another backend');
  });
});
afterEach(() => poisoned.mockRestore());

describe('the Trainer updates a network on its own backend', () => {
  test.each([
    ['a named optimizer', () => 'adam' as const],
    ['an Optimizer instance without a backend', () => new Adam({ lr: 0.01 })],
  ])('train() with %s', (_label, optimizer) => {
    const { backend, steps } = countingBackend();
    const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1, backend });
    const before = net.namedParams().W1.value.data.slice();
    const r = new Trainer(net, x, t, null, null, { epochs: 2, miniBatchSize: 5, optimizer: optimizer() }).train();
    expect(r.iterations).toBe(8);
    expect(steps()).toBe(8 * 4); // W1, b1, W2, b2 per step
    expect(poisoned).not.toHaveBeenCalled();
    expect(net.namedParams().W1.value.data).not.toEqual(before);
  });

  test('fit() on this thread', async () => {
    const { backend, steps } = countingBackend();
    const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1, backend });
    await new Trainer(net, x, t, null, null, { epochs: 1, miniBatchSize: 10, optimizer: 'sgd' }).fit({ worker: false });
    expect(steps()).toBe(2 * 4);
    expect(poisoned).not.toHaveBeenCalled();
  });

  test('an optimizer bound to another backend is refused', () => {
    const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1, backend: new TsBackend() });
    expect(() => new Trainer(net, x, t, null, null, { optimizer: new SGD({ backend: new TsBackend() }) })).toThrow(
      /^optimizer: expected an optimizer without a backend or on the network's \(ts\), got one on another ts backend$/,
    );
    expect(() => new Trainer(net, x, t, null, null, { optimizer: new SGD({ backend: net.backend }) })).not.toThrow();
  });
});

describe('Optimizer.step(params, grads, backend)', () => {
  test('runs on the backend it is given, else the optimizer\'s, else the default', () => {
    const net = new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, seed: 1 });
    net.gradient(x, t);
    const a = countingBackend();
    const b = countingBackend();
    const opt = new SGD({ backend: b.backend });
    opt.step(net.namedParams(), undefined, a.backend);
    expect([a.steps(), b.steps()]).toEqual([4, 0]);
    opt.step(net.namedParams());
    expect([a.steps(), b.steps()]).toEqual([4, 4]);
    expect(poisoned).not.toHaveBeenCalled();
    expect(() => new SGD().step(net.namedParams())).toThrow(/the default backend ran/);
    expect(() => opt.step(net.namedParams(), undefined, {} as Backend)).toThrow(/^backend: expected a Backend, got object$/);
  });
});
