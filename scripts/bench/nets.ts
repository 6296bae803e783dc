/**
 * The networks `npm run bench` times, and their batch: the book's SimpleConvNet (ch07) and DeepConvNet (ch08) on
 * 28×28×1, and ResNet-20 (He et al.'s CIFAR network, padding shortcuts; lib/nets/resnet.ts) on 28×28×1 and on
 * 32×32×3. Inputs uniform in [0, 1), labels uniform in 0..9, from a fixed seed; batch 100.
 */
import type { Backend } from '../../lib/backend/types';
import { DeepConvNet, ResNet, SimpleConvNet, type Network } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';

export const NET_KINDS = ['simple', 'deep', 'resnet', 'resnet-rgb'] as const;
export type NetKind = (typeof NET_KINDS)[number];
export const NET_NAME: Record<NetKind, string> = { simple: 'SimpleConvNet', deep: 'DeepConvNet', resnet: 'ResNet-20 28×28×1', 'resnet-rgb': 'ResNet-20 32×32×3' };
export const BATCH = 100;
export const NET_SEED = 1;
export const DATA_SEED = 2024;

export function isNetKind(v: unknown): v is NetKind {
  return (NET_KINDS as readonly unknown[]).includes(v);
}

export function inputShapeOf(kind: NetKind): number[] {
  return kind === 'resnet-rgb' ? [3, 32, 32] : [1, 28, 28];
}

/** The network of `kind`; `fuse` as NetworkOptions.fuse (default: the library's default, fused). */
export function makeNet(kind: NetKind, backend: Backend, fuse?: boolean): Network {
  const f = fuse === undefined ? {} : { fuse };
  switch (kind) {
    case 'simple':
      return new SimpleConvNet({ seed: NET_SEED, backend, ...f });
    case 'deep':
      return new DeepConvNet({ seed: NET_SEED, backend, ...f });
    case 'resnet':
    case 'resnet-rgb':
      return new ResNet({ depth: 20, inputDim: inputShapeOf(kind), outputSize: 10, seed: NET_SEED, backend, ...f });
  }
}

/** x[100, ...shape] uniform in [0, 1), labels uniform in 0..9, from a fixed seed. */
export function makeBatch(kind: NetKind): { x: Tensor; t: Int32Array } {
  const shape = inputShapeOf(kind);
  const rng = new Rng(DATA_SEED);
  const x = new Float32Array(BATCH * shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const t = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) t[i] = rng.int(10);
  return { x: new Tensor(x, [BATCH, ...shape]), t };
}
