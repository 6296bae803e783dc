/**
 * The numerical gradient the book's numerical_gradient computes, by central differences on float32 data:
 * used by Network.numericalGradient and by the gradient checks (lib/tools/gradcheck.ts).
 */

/**
 * Central differences of `f` with respect to data[i] for each index; float64 results. The step is the one
 * actually stored in float32: (f(v + h) − f(v − h)) / (fl(v + h) − fl(v − h)). `data` is restored.
 */
export function numericalGradientOf(f: () => number, data: Float32Array, indices: readonly number[], h: number): Float64Array {
  const f32 = new Float32Array(1);
  const out = new Float64Array(indices.length);
  indices.forEach((i, j) => {
    const v = data[i];
    f32[0] = v + h;
    const up = f32[0];
    f32[0] = v - h;
    const down = f32[0];
    data[i] = up;
    const f1 = f();
    data[i] = down;
    const f2 = f();
    data[i] = v;
    out[j] = (f1 - f2) / (up - down);
  });
  return out;
}
