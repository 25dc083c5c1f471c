// AdamW with global grad-norm clipping over one flat parameter array (llm.c style: one loop over the
// whole model since params, grads and both moments share src/model/layout.ts's layout). Matches
// torch.optim.AdamW (decoupled weight decay, bias correction) after clip_grad_norm_.

import { fdPow } from '../../util/fdlibm';
import type { AdamWConfig } from '../backend';
import { validateAdamWConfig } from '../validate';
import type { FloatArray } from './ops';

/** sqrt(Σ g²), accumulated in float64. */
export function globalGradNorm(grads: FloatArray): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
  return Math.sqrt(sq);
}

/**
 * One optimizer step, in place on params, m, v. `step` is the 1-based index of this step (used for
 * bias correction). Procedure (the WGSL twin does the same):
 *   norm  = sqrt(Σ g²)                      (pre-clip, returned)
 *   scale = min(1, maxGradNorm / norm)      (1 when norm is 0; torch adds 1e-6 to norm, negligible)
 *   g'    = scale * g
 *   p    -= lr * weightDecay * p            (decoupled decay, applied to every tensor)
 *   m     = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) g'²
 *   p    -= lr * (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps)
 * A non-finite norm (NaN/Inf gradients) leaves params and moments untouched and is returned so the
 * trainer can stop the run with a message.
 */
export function adamwStep(
  params: FloatArray,
  grads: FloatArray,
  m: FloatArray,
  v: FloatArray,
  step: number,
  config: AdamWConfig,
): { gradNorm: number } {
  validateAdamWConfig(config);
  if (!(Number.isInteger(step) && step >= 1))
    throw new RangeError(`AdamW step must be an integer >= 1 (got ${step})`);
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n) {
    throw new RangeError(
      `AdamW arrays differ in length: params ${n}, grads ${grads.length}, m ${m.length}, v ${v.length}`,
    );
  }
  const gradNorm = globalGradNorm(grads);
  if (!Number.isFinite(gradNorm)) return { gradNorm };
  const scale = gradNorm > config.maxGradNorm ? config.maxGradNorm / gradNorm : 1;
  const { lr, beta1, beta2, eps, weightDecay } = config;
  // fdlibm's pow, not `**`: engines round beta ** step differently (Chromium: 0.9 ** 4 = 0.6561, Node 20:
  // 0.6561000000000001), which the page and the CLI must not.
  const bc1 = 1 - fdPow(beta1, step);
  const bc2 = 1 - fdPow(beta2, step);
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    const g = grads[i] * scale;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i] * decay - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
  return { gradNorm };
}
