// RoPE cos/sin tables, the Hugging Face rotate_half convention, shared by both engines (the CPU ops
// and the WGSL kernels read the same f32 tables, so the engines rotate identically).

import { fdCos, fdPow, fdSin } from '../util/fdlibm';

export interface RopeTables {
  /** (maxPositions, D/2) cos and sin of position * inv_freq[j]. */
  cos: Float32Array;
  sin: Float32Array;
  maxPositions: number;
  halfDim: number;
}

/**
 * cos/sin tables computed the way HF Qwen2RotaryEmbedding does in fp32: inv_freq = 1 / theta^(2j/D)
 * rounded to f32, angle = f32(position * inv_freq), then cos/sin rounded to f32.
 */
export function ropeTables(D: number, theta: number, maxPositions: number): RopeTables {
  if (D % 2 !== 0) throw new Error(`RoPE needs an even head dim (got ${D})`);
  const half = D / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let j = 0; j < half; j++) {
    const invFreq = Math.fround(1 / Math.fround(fdPow(theta, Math.fround((2 * j) / D))));
    for (let p = 0; p < maxPositions; p++) {
      const angle = Math.fround(p * invFreq);
      cos[p * half + j] = fdCos(angle);
      sin[p * half + j] = fdSin(angle);
    }
  }
  return { cos, sin, maxPositions, halfDim: half };
}
