// Placeholder: IEEE half conversion in TypeScript.
export function toHalf(src: Float32Array, dst: Uint16Array): void { throw new Error("not implemented yet"); }
export function fromHalf(src: Uint16Array, dst: Float32Array): void { throw new Error("not implemented yet"); }
