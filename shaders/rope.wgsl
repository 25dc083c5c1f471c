// RoPE in the Hugging Face rotate_half convention, in place on q or k (N, heads, D):
//   x[j]       <- x[j] * cos - x[j + D/2] * sin
//   x[j + D/2] <- x[j + D/2] * cos + x[j] * sin        (j < D/2)
// Backward applies the transposed rotation to the gradient. Angles come from host-built cos/sin
// tables (maxPositions, D/2) so GPU and CPU share the exact fp32 values; positions are per row so
// training (t) and batched decoding (each sequence at its own position) use the same kernel.

struct Params { N: u32, heads: u32, half: u32 }

@group(0) @binding(0) var<storage, read> positions: array<i32>; // (N)
@group(0) @binding(1) var<storage, read> cos_table: array<f32>; // (maxPositions, D/2)
@group(0) @binding(2) var<storage, read> sin_table: array<f32>; // (maxPositions, D/2)
@group(0) @binding(3) var<storage, read_write> x: array<f32>;  // (N, heads, D)
@group(0) @binding(4) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

// sign = 1 rotates forward, -1 applies the transpose (the backward pass).
fn rotate(i: u32, sign: f32) {
  if (i >= params.N * params.heads * params.half) { return; }
  let j = i % params.half;
  let nh = i / params.half; // n * heads + h
  let n = nh / params.heads;
  let t = u32(positions[n]) * params.half + j;
  let c = cos_table[t];
  let s = sign * sin_table[t];
  let base = nh * 2u * params.half;
  let x1 = x[base + j];
  let x2 = x[base + j + params.half];
  x[base + j] = x1 * c - x2 * s;
  x[base + j + params.half] = x2 * c + x1 * s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate(flat_index(gid, nwg), 1.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate(flat_index(gid, nwg), -1.0);
}

// rope_forward_vec4 / rope_backward_vec4: four rotation pairs per invocation with vec4 loads, for D a
// multiple of 8 (half a multiple of 4; the host picks them then). Same arithmetic per element, so the
// results equal the scalar kernels bit for bit.
@group(0) @binding(1) var<storage, read> cos4: array<vec4<f32>>; // (maxPositions, D/8) vec4s
@group(0) @binding(2) var<storage, read> sin4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> x4: array<vec4<f32>>; // (N, heads, D/4) vec4s

fn rotate4(i: u32, sign: f32) {
  let q = params.half / 4u; // vec4s per half row
  if (i >= params.N * params.heads * q) { return; }
  let j = i % q;
  let nh = i / q; // n * heads + h
  let n = nh / params.heads;
  let t = u32(positions[n]) * q + j;
  let c = cos4[t];
  let s = sign * sin4[t];
  let base = nh * 2u * q;
  let x1 = x4[base + j];
  let x2 = x4[base + j + q];
  x4[base + j] = x1 * c - x2 * s;
  x4[base + j + q] = x2 * c + x1 * s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate4(flat_index(gid, nwg), 1.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate4(flat_index(gid, nwg), -1.0);
}

// rope_qk_forward / rope_qk_backward and their _vec4 twins: q (N, heads, D) and k (N, kv_heads, D) in
// one dispatch, since the model always rotates both at the same positions (one dispatch fewer per layer
// per decoded token); invocations past q's rotation pairs take k's. Each element goes through the same
// arithmetic as rotate() / rotate4(), so the results equal two single-tensor dispatches bit for bit.
struct QkParams { N: u32, heads: u32, kv_heads: u32, half: u32 }

@group(0) @binding(3) var<storage, read_write> q_x: array<f32>;  // (N, heads, D)
@group(0) @binding(4) var<storage, read_write> k_x: array<f32>;  // (N, kv_heads, D)
@group(0) @binding(3) var<storage, read_write> q_x4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> k_x4: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> qk: QkParams;

// Where rotation pair i of a (N, heads, 2 * per_half) tensor sits, and its angle's cos and sign * sin;
// per_half is the half row in elements (scalar kernels) or vec4s (vec4 kernels, with the vec4 tables).
struct Pair { lo: u32, hi: u32, t: u32 }

fn qk_pair(i: u32, heads: u32, per_half: u32) -> Pair {
  let j = i % per_half;
  let nh = i / per_half; // n * heads + h
  let n = nh / heads;
  let base = nh * 2u * per_half;
  return Pair(base + j, base + j + per_half, u32(positions[n]) * per_half + j);
}

fn rotate_qk(i: u32, sign: f32) {
  let nq = qk.N * qk.heads * qk.half;
  if (i < nq) {
    let p = qk_pair(i, qk.heads, qk.half);
    let c = cos_table[p.t];
    let s = sign * sin_table[p.t];
    let x1 = q_x[p.lo];
    let x2 = q_x[p.hi];
    q_x[p.lo] = x1 * c - x2 * s;
    q_x[p.hi] = x2 * c + x1 * s;
  } else if (i < nq + qk.N * qk.kv_heads * qk.half) {
    let p = qk_pair(i - nq, qk.kv_heads, qk.half);
    let c = cos_table[p.t];
    let s = sign * sin_table[p.t];
    let x1 = k_x[p.lo];
    let x2 = k_x[p.hi];
    k_x[p.lo] = x1 * c - x2 * s;
    k_x[p.hi] = x2 * c + x1 * s;
  }
}

fn rotate_qk4(i: u32, sign: f32) {
  let q = qk.half / 4u; // vec4s per half row
  let nq = qk.N * qk.heads * q;
  if (i < nq) {
    let p = qk_pair(i, qk.heads, q);
    let c = cos4[p.t];
    let s = sign * sin4[p.t];
    let x1 = q_x4[p.lo];
    let x2 = q_x4[p.hi];
    q_x4[p.lo] = x1 * c - x2 * s;
    q_x4[p.hi] = x2 * c + x1 * s;
  } else if (i < nq + qk.N * qk.kv_heads * q) {
    let p = qk_pair(i - nq, qk.kv_heads, q);
    let c = cos4[p.t];
    let s = sign * sin4[p.t];
    let x1 = k_x4[p.lo];
    let x2 = k_x4[p.hi];
    k_x4[p.lo] = x1 * c - x2 * s;
    k_x4[p.hi] = x2 * c + x1 * s;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_qk_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate_qk(flat_index(gid, nwg), 1.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_qk_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate_qk(flat_index(gid, nwg), -1.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_qk_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate_qk4(flat_index(gid, nwg), 1.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_qk_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  rotate_qk4(flat_index(gid, nwg), -1.0);
}
