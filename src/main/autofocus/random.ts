/** Seeded uniform numbers in [0, 1) (mulberry32): random starts of the CLI and the benchmark, reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first number of the seed's sequence. */
export function mulberry32Seeded(seed: number): number {
  return mulberry32(seed)();
}

/** Seeded standard normal numbers (Box-Muller over mulberry32). */
export function gaussian(seed: number): () => number {
  const rng = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng());
}
