// Counter-based random numbers shared bit-for-bit by TypeScript and WGSL (shaders/sampling.wgsl):
// a draw is a pure function of (seed, stream, sequence, position), so sampling is reproducible on any
// backend and independent of batching or dispatch order. Uses the PCG hash (Jarzynski & Olano 2020),
// which needs only 32-bit integer multiply/add/xor/shift, exact in both languages.

export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** A u32 keyed by four counters; each key is folded in through the hash so nearby keys decorrelate. */
export function counterHash(seed: number, stream: number, sequence: number, position: number): number {
  let h = pcgHash(seed >>> 0);
  h = pcgHash((h ^ (stream >>> 0)) >>> 0);
  h = pcgHash((h ^ (sequence >>> 0)) >>> 0);
  h = pcgHash((h ^ (position >>> 0)) >>> 0);
  return h;
}

/** Uniform in [0, 1) with 24 bits of resolution (exactly representable in f32, so WGSL agrees). */
export function counterUniform(seed: number, stream: number, sequence: number, position: number): number {
  return (counterHash(seed, stream, sequence, position) >>> 8) / 16777216;
}
