// Global gradient norm and clip factor, deterministic (no atomics): gradnorm_partial sums squares over
// fixed chunks, one invocation each; gradnorm_finish adds the partials in order on one invocation and
// writes clip = [norm, scale, finite] with scale = min(1, max_norm / norm) (1 when clipping is off).
// AdamW reads clip from the GPU, so the whole optimizer step needs no readback in between.

struct Params { n: u32, chunk: u32, parts: u32, max_norm: f32, clip_enabled: u32 }

// gradnorm_partial
@group(0) @binding(0) var<storage, read> grads: array<f32>;          // (n)
@group(0) @binding(1) var<storage, read_write> partials: array<f32>; // (parts)
@group(0) @binding(2) var<uniform> params: Params;

// gradnorm_finish
@group(0) @binding(0) var<storage, read> partials_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> clip: array<f32>;     // (4): norm, scale, finite, unused
@group(0) @binding(2) var<uniform> fparams: Params;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gradnorm_partial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let part = gid.x;
  if (part >= params.parts) { return; }
  let start = part * params.chunk;
  let end = min(start + params.chunk, params.n);
  var sum = 0.0;
  for (var i = start; i < end; i++) {
    let g = grads[i];
    sum += g * g;
  }
  partials[part] = sum;
}

@compute @workgroup_size(1)
fn gradnorm_finish() {
  var sum = 0.0;
  for (var i = 0u; i < fparams.parts; i++) {
    sum += partials_in[i];
  }
  let norm = sqrt(sum);
  // NaN fails every comparison and Inf exceeds the largest finite f32: both count as not finite.
  let finite = norm <= 3.4e38;
  var scale = 1.0;
  if (fparams.clip_enabled != 0u && norm > fparams.max_norm) {
    scale = fparams.max_norm / norm;
  }
  clip[0] = norm;
  clip[1] = scale;
  clip[2] = select(0.0, 1.0, finite);
  clip[3] = 0.0;
}
