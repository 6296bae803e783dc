// Placeholder: fused optimizer updates in TypeScript.
import type { OptimizerHyper, OptimizerRule } from '../types';
export function optimizerStep(rule: OptimizerRule, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null, hyper: OptimizerHyper): void { throw new Error("not implemented yet"); }
