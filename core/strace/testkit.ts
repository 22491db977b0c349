/**
 * Test helpers shared by the fuzz tests of several stages (and the VM drop-in fuzz): a seeded
 * generator, so a failing case names a seed that reproduces it.
 */

/** mulberry32: small, seeded, uniform enough to pick cut points, bytes and shapes; in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
