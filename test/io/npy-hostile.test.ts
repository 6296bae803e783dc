/**
 * .npy headers a hostile file can craft (issue 9): deep nesting must not overflow the stack, an oversized
 * header is refused before it is parsed, a '__proto__' key is a key.
 */
import { parseNpy } from '../../lib/io/npy';

/** A version-1 .npy file with `header` as its dict text (padded) and `data` after it. */
function npy(header: string, data = new Uint8Array(0), major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(Buffer.from(h, 'latin1'), pre);
  out.set(data, pre + h.length);
  return out;
}

test('a header nested 30,000 levels deep (within the length limit) is a RangeError, not a stack overflow', () => {
  const deep = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(30000)}${')'.repeat(30000)}}`;
  expect(() => parseNpy(npy(deep, undefined, 2), 'deep.npy')).toThrow(RangeError);
  expect(() => parseNpy(npy(deep, undefined, 2), 'deep.npy')).toThrow(/npy: deep\.npy: bad header: nested deeper than 16 levels/);
  const lists = `{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': ${'['.repeat(20)}${']'.repeat(20)}}`;
  expect(() => parseNpy(npy(lists), 'lists.npy')).toThrow(/nested deeper than 16 levels/);
});

test('a header longer than the limit is refused before parsing', () => {
  const big = `{'descr': '<f4', 'fortran_order': False, 'shape': (), 'pad': '${'x'.repeat(70000)}'}`;
  expect(() => parseNpy(npy(big, new Uint8Array(4), 2), 'big.npy')).toThrow(/header of \d+ bytes exceeds the 65536-byte limit/);
});

test("a '__proto__' key does not become the header's prototype", () => {
  const evil = "{'__proto__': {'descr': '<f4', 'fortran_order': False, 'shape': (1,)}}";
  expect(() => parseNpy(npy(evil, new Uint8Array(4)), 'proto.npy')).toThrow(/bad header: missing 'descr'/);
  const ok = parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)));
  expect(ok.shape).toEqual([1]);
});
