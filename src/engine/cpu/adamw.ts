// AdamW with global grad-norm clipping over one flat parameter array (llm.c style: one loop over the
// whole model since params, grads and both moments share src/model/layout.ts's layout). Matches
// torch.optim.AdamW (decoupled weight decay, bias correction) after clip_grad_norm_.
import type { AdamWConfig } from '../backend';
import type { FloatArray } from './ops';

/** sqrt(Σ g²), accumulated in float64. */
export function globalGradNorm(grads: FloatArray): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
  return Math.sqrt(sq);
}

export function validateAdamWConfig(config: AdamWConfig): void {
  const problems: string[] = [];
  if (!(config.lr >= 0 && Number.isFinite(config.lr)))
    problems.push(`lr must be finite and >= 0 (got ${config.lr})`);
  if (!(config.beta1 >= 0 && config.beta1 < 1))
    problems.push(`beta1 must be in [0, 1) (got ${config.beta1})`);
  if (!(config.beta2 >= 0 && config.beta2 < 1))
    problems.push(`beta2 must be in [0, 1) (got ${config.beta2})`);
  if (!(config.eps > 0)) problems.push(`eps must be > 0 (got ${config.eps})`);
  if (!(config.weightDecay >= 0)) problems.push(`weightDecay must be >= 0 (got ${config.weightDecay})`);
  if (!(config.maxGradNorm > 0))
    problems.push(`maxGradNorm must be > 0 or Infinity (got ${config.maxGradNorm})`);
  if (problems.length) throw new RangeError(`Invalid AdamW config: ${problems.join('; ')}`);
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
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
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
