// SwiGLU: out = silu(gate) * up, silu(g) = g * sigmoid(g); backward gives both input gradients.

struct Params { n: u32 }

// swiglu_forward
@group(0) @binding(0) var<storage, read> gate: array<f32>;      // (N, I)
@group(0) @binding(1) var<storage, read> up: array<f32>;        // (N, I)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (N, I)
@group(0) @binding(3) var<uniform> params: Params;

// swiglu_backward
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(4) var<storage, read_write> dup: array<f32>;
@group(0) @binding(5) var<uniform> bparams: Params;

override WORKGROUP_SIZE: u32 = 64;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn swiglu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) { return; }
  let g = gate[i];
  out[i] = g * sigmoid(g) * up[i];
}

// d silu(g) / dg = sig(g) * (1 + g * (1 - sig(g)))
@compute @workgroup_size(WORKGROUP_SIZE)
fn swiglu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= bparams.n) { return; }
  let g = gate[i];
  let sig = sigmoid(g);
  let d = dout[i];
  dup[i] = d * g * sig;
  dgate[i] = d * up[i] * sig * (1.0 + g * (1.0 - sig));
}
