/** The half-precision ops of the TS backend: checked conversions (arithmetic in lib/float16.ts). */
import { float32ToHalf, halfToFloat32 } from '../../float16';
import { checkF32, checkView } from '../../validate';

/** dst[i] = binary16(src[i]) for i < src.length. */
export function toHalf(src: Float32Array, dst: Uint16Array): void {
  checkF32('src', src);
  checkView('dst', dst, Uint16Array, src.length);
  float32ToHalf(src, dst);
}

/** dst[i] = float32(src[i]) for i < src.length. */
export function fromHalf(src: Uint16Array, dst: Float32Array): void {
  checkView('src', src, Uint16Array);
  checkF32('dst', dst, src.length);
  halfToFloat32(src, dst);
}
