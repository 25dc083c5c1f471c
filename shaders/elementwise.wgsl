// Elementwise ops on flat f32 arrays: residual add (forward; its backward is the identity, so the
// engine reuses the incoming gradient) and in-place accumulate, used for gradient sums.

struct Params { n: u32, alpha: f32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

// out = a + alpha * b
@compute @workgroup_size(WORKGROUP_SIZE)
fn add_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  out[i] = a[i] + params.alpha * b[i];
}

// add_inplace: dst += alpha * src (gradient sums, residual-stream gradient accumulation). Bindings
// re-use numbers 0..2 with their own variables because dst is read_write here.
struct InplaceParams { n: u32, alpha: f32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> inplace_params: InplaceParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn add_inplace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= inplace_params.n) { return; }
  dst[i] += inplace_params.alpha * src[i];
}

// add_forward_vec4 / add_inplace_vec4: the same on vec4s, for n a multiple of 4 (the host picks them
// then; typed vec4 loads are several times cheaper per element on SwiftShader).
@group(0) @binding(0) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(0) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst4: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn add_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.n / 4u) { return; }
  out4[i] = a4[i] + params.alpha * b4[i];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn add_inplace_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= inplace_params.n / 4u) { return; }
  dst4[i] += inplace_params.alpha * src4[i];
}
