// AdamW over the flat parameter buffer (decoupled weight decay, bias correction), after the global
// clip of gradnorm.wgsl, exactly as src/engine/cpu/adamw.ts:
//   g = scale * grad;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²
//   p = p (1 - lr wd) - lr (m / bc1) / (sqrt(v / bc2) + eps)
// A non-finite gradient norm (clip[2] == 0) leaves everything untouched.

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  decay: f32, // 1 - lr * weight_decay
  bc1: f32,   // 1 - beta1^step
  bc2: f32,   // 1 - beta2^step
}

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read> clip: array<f32>; // norm, scale, finite
@group(0) @binding(2) var<storage, read_write> params_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamw_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.n || clip[2] == 0.0) { return; }
  let g = grads[i] * clip[1];
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params_buf[i] = params_buf[i] * params.decay - params.lr * (mi / params.bc1) / (sqrt(vi / params.bc2) + params.eps);
}
