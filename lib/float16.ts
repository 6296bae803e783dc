/**
 * IEEE 754 binary16 <-> binary32 in TypeScript, shared by the TS backend (lib/backend/ts/half.ts) and the file
 * readers (lib/io), by bit manipulation on Uint32Array views of the float data
 * (so NaN payloads survive). Same results, bit for bit, as native/core/half.cpp and x86 F16C
 * (vcvtps2ph with round-to-nearest-even, vcvtph2ps):
 *  - float32ToHalf: round to nearest, ties to even; overflow (|x| >= 65520) -> ±Inf; results below the smallest
 *    subnormal round to ±0; NaN -> quiet NaN keeping sign and the top 9 payload bits.
 *  - halfToFloat32: exact (every half is a float); subnormals normalized; NaN -> quiet NaN with the payload kept.
 */

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** One float32 bit pattern -> binary16 bits. */
export function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 112; // half exponent field for a normal result
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry into the exponent is correct (up to Inf)
    return sign | h;
  }
  if (e < -10) return sign; // |x| < 2^-25 (or a float32 subnormal): rounds to ±0
  const m = mant | 0x800000;
  const shift = 14 - e; // 14..24: value in units of 2^-24 is m >> shift
  let h = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rem > halfway || (rem === halfway && (h & 1) !== 0)) h++; // may become 0x400, the smallest normal
  return sign | h;
}

/** One binary16 bit pattern -> float32 bits. */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant !== 0 ? 0x400000 | (mant << 13) : 0)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    let e = 113; // normalize: value = mant·2^-24
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** dst[i] = binary16(src[i]) for i < src.length (unchecked: dst has at least src.length elements). */
export function float32ToHalf(src: Float32Array, dst: Uint16Array): void {
  const bits = u32View(src);
  for (let i = 0; i < src.length; i++) dst[i] = floatBitsToHalf(bits[i]);
}

/** dst[i] = float32(src[i]) for i < src.length (unchecked: dst has at least src.length elements). */
export function halfToFloat32(src: Uint16Array, dst: Float32Array): void {
  const bits = u32View(dst);
  for (let i = 0; i < src.length; i++) bits[i] = halfToFloatBits(src[i]);
}
