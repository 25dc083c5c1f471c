// KV cache for batched decoding: copies freshly projected (and RoPE-rotated) keys and values of a
// chunk of positions into per-sequence cache slots, so attention.wgsl's attention_forward can attend a
// new query over everything cached (prefill writes a whole prompt, each decode step one position).
//
// Shapes (row-major):
//   k_new, v_new       (R, Tn, W)       W = KVH * D
//   k_cache, v_cache   (S, Tmax, W)
//   rows               (R) vec4(start, count, slot, unused): row t < count goes to position start + t
//                      of cache slot `slot` (the same row description attention_forward reads).

struct Params {
  R: u32,
  Tn: u32,
  Tmax: u32,
  W: u32,
}

@group(0) @binding(0) var<storage, read> k_new: array<f32>;
@group(0) @binding(1) var<storage, read> v_new: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 64;

// One invocation per element (r, t, j) of the new chunk.
@compute @workgroup_size(WORKGROUP_SIZE)
fn kvcache_write(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.R * params.Tn * params.W) { return; }
  let j = i % params.W;
  let t = (i / params.W) % params.Tn;
  let r = i / (params.W * params.Tn);
  let row = rows[r];
  let pos = row.x + t;
  // Rows past count are padding; positions past Tmax are rejected by the host, guarded here anyway.
  if (t >= row.y || pos >= params.Tmax) { return; }
  let dst = (row.z * params.Tmax + pos) * params.W + j;
  k_cache[dst] = k_new[i];
  v_cache[dst] = v_new[i];
}
