// Causal grouped-query attention (Qwen2: H query heads share KVH key/value heads), forward and
// backward, in the online-softmax ("flash") form: one invocation owns one query row and streams over
// the keys with a running max and sum, so sequence length is bounded by nothing but buffer sizes (and
// no workgroup memory or barriers are needed, which SwiftShader penalises). Forward stores the per-row
// logsumexp; backward recomputes the probabilities from it instead of storing the (T, T) matrix.
//
// Rows are described per query sequence r by rows[r] = (start, count, slot, 0): query row t sits at
// absolute position start + t and attends keys 0 ..= start + t of key sequence `slot`. Training uses
// (0, length, r): right padding is never attended. KV-cache decoding uses the same forward with
// start = position, count = 1 and the cache (kvcache.wgsl) as k and v. Rows t >= count get zeros.
// The backward kernels assume slot = r (training), which is what lets dk/dv be gathered per key row.
//
// Shapes (row-major):
//   q, out, dout, dq   (R, Tq, H, D)      k, v, dk, dv   (S, Tk, KVH, D)
//   rows               (R) vec4(start, count, slot, unused)
//   stats              (R, Tq, H, 2): [logsumexp of the scaled scores, delta = dot(dout, out)]
//
// Bindings follow kernel.ts: storage 0..n-1 in descriptor order, Params at n. Entry points that share
// a binding number with a different access declare their own variable for it.

struct Params {
  R: u32,
  Tq: u32,
  Tk: u32,
  H: u32,
  KVH: u32,
  scale: f32, // 1 / sqrt(D)
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<vec4<u32>>;
// attention_forward
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>; // also attention_backward_query
@group(0) @binding(6) var<uniform> params_forward: Params;
// attention_backward_query and attention_backward_key_value
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> stats_in: array<f32>;
@group(0) @binding(6) var<storage, read> out_in: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;
@group(0) @binding(6) var<storage, read_write> dk: array<f32>;
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;
@group(0) @binding(8) var<uniform> params_backward: Params;

override WORKGROUP_SIZE: u32 = 64;
// D as a pipeline constant: loops over it get constant trip counts, so compilers can unroll them and
// keep the per-row vectors below in registers. The host rejects D > MAX_HEAD_DIM.
override HEAD_DIM: u32 = 8;
const MAX_HEAD_DIM: u32 = 128;

// Flat invocation index for 1-D work dispatched as a 2-D grid (x wraps at the per-dimension limit).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

// Offset of (b, t, head, 0) in a (batch, T, heads, D) tensor.
fn row_offset(b: u32, t: u32, T: u32, head: u32, heads: u32) -> u32 {
  return ((b * T + t) * heads + head) * HEAD_DIM;
}

fn stats_index(p: Params, r: u32, t: u32, h: u32) -> u32 {
  return ((r * p.Tq + t) * p.H + h) * 2u;
}

fn dot_k(x: ptr<function, array<f32, MAX_HEAD_DIM>>, k_off: u32) -> f32 {
  var acc = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) { acc += (*x)[d] * k[k_off + d]; }
  return acc;
}

fn dot_v(x: ptr<function, array<f32, MAX_HEAD_DIM>>, v_off: u32) -> f32 {
  var acc = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) { acc += (*x)[d] * v[v_off + d]; }
  return acc;
}

// One invocation per query row (r, h, t), t fastest so neighbouring invocations read the same keys.
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_forward;
  let i = flat_index(gid, nwg);
  if (i >= p.R * p.H * p.Tq) { return; }
  let t = i % p.Tq;
  let h = (i / p.Tq) % p.H;
  let r = i / (p.Tq * p.H);
  let kvh = h / (p.H / p.KVH);
  let o_off = row_offset(r, t, p.Tq, h, p.H);
  let row = rows[r];
  if (t >= row.y) {
    for (var d = 0u; d < HEAD_DIM; d++) { out[o_off + d] = 0.0; }
    stats[stats_index(p, r, t, h)] = 0.0;
    return;
  }
  var q_row: array<f32, MAX_HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) { q_row[d] = q[o_off + d] * p.scale; }
  let last = row.x + t; // keys 0 ..= last are visible
  // Start the running softmax from key 0 so no -inf sentinel is needed.
  var k_off = row_offset(row.z, 0u, p.Tk, kvh, p.KVH);
  var m = dot_k(&q_row, k_off);
  var l = 1.0;
  var acc: array<f32, MAX_HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) { acc[d] = v[k_off + d]; }
  for (var s = 1u; s <= last; s++) {
    k_off = row_offset(row.z, s, p.Tk, kvh, p.KVH);
    let score = dot_k(&q_row, k_off);
    let m_new = max(m, score);
    let correction = exp(m - m_new);
    let e = exp(score - m_new);
    l = l * correction + e;
    for (var d = 0u; d < HEAD_DIM; d++) { acc[d] = acc[d] * correction + e * v[k_off + d]; }
    m = m_new;
  }
  let inv_l = 1.0 / l;
  for (var d = 0u; d < HEAD_DIM; d++) { out[o_off + d] = acc[d] * inv_l; }
  stats[stats_index(p, r, t, h)] = m + log(l);
}

// dq[t] = scale * sum_s P[t, s] * (dot(dout[t], v[s]) - delta[t]) * k[s], one invocation per query
// row. It also stores delta[t] = dot(dout[t], out[t]) in stats for attention_backward_key_value.
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_backward_query(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_backward;
  let i = flat_index(gid, nwg);
  if (i >= p.R * p.H * p.Tq) { return; }
  let t = i % p.Tq;
  let h = (i / p.Tq) % p.H;
  let r = i / (p.Tq * p.H);
  let kvh = h / (p.H / p.KVH);
  let o_off = row_offset(r, t, p.Tq, h, p.H);
  let si = stats_index(p, r, t, h);
  let row = rows[r];
  if (t >= row.y) {
    for (var d = 0u; d < HEAD_DIM; d++) { dq[o_off + d] = 0.0; }
    stats[si + 1u] = 0.0;
    return;
  }
  var q_row: array<f32, MAX_HEAD_DIM>;
  var do_row: array<f32, MAX_HEAD_DIM>;
  var acc: array<f32, MAX_HEAD_DIM>;
  var delta = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) {
    q_row[d] = q[o_off + d] * p.scale;
    do_row[d] = dout[o_off + d];
    delta += do_row[d] * out_in[o_off + d];
    acc[d] = 0.0;
  }
  let lse = stats[si];
  stats[si + 1u] = delta;
  let last = row.x + t;
  for (var s = 0u; s <= last; s++) {
    let k_off = row_offset(r, s, p.Tk, kvh, p.KVH);
    let prob = exp(dot_k(&q_row, k_off) - lse);
    let ds = prob * (dot_v(&do_row, k_off) - delta);
    for (var d = 0u; d < HEAD_DIM; d++) { acc[d] += ds * k[k_off + d]; }
  }
  for (var d = 0u; d < HEAD_DIM; d++) { dq[o_off + d] = acc[d] * p.scale; }
}

// dk[s] and dv[s], summed over the H / KVH query heads of the group and every query row that sees key
// s; one invocation per key row (r, kvh, s), so no float atomics are needed. Runs after
// attention_backward_query (it reads the delta that kernel stored).
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_backward_key_value(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_backward;
  let i = flat_index(gid, nwg);
  if (i >= p.R * p.KVH * p.Tk) { return; }
  let s = i % p.Tk;
  let kvh = (i / p.Tk) % p.KVH;
  let r = i / (p.Tk * p.KVH);
  let k_off = row_offset(r, s, p.Tk, kvh, p.KVH);
  var k_row: array<f32, MAX_HEAD_DIM>;
  var v_row: array<f32, MAX_HEAD_DIM>;
  var dk_acc: array<f32, MAX_HEAD_DIM>;
  var dv_acc: array<f32, MAX_HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) {
    k_row[d] = k[k_off + d] * p.scale;
    v_row[d] = v[k_off + d];
    dk_acc[d] = 0.0;
    dv_acc[d] = 0.0;
  }
  let row = rows[r];
  // Query rows whose absolute position start + t >= s; the loop is empty for keys past the last row.
  let t_first = select(0u, s - row.x, s > row.x);
  let group = p.H / p.KVH;
  for (var g = 0u; g < group; g++) {
    let h = kvh * group + g;
    for (var t = t_first; t < row.y; t++) {
      let q_off = row_offset(r, t, p.Tq, h, p.H);
      var score = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) {
        score += q[q_off + d] * k_row[d];
        dp += dout[q_off + d] * v_row[d];
      }
      let si = stats_index(p, r, t, h);
      let prob = exp(score - stats_in[si]);
      let ds = prob * (dp - stats_in[si + 1u]);
      for (var d = 0u; d < HEAD_DIM; d++) {
        dv_acc[d] += prob * dout[q_off + d];
        dk_acc[d] += ds * q[q_off + d];
      }
    }
  }
  for (var d = 0u; d < HEAD_DIM; d++) {
    dk[k_off + d] = dk_acc[d] * p.scale;
    dv[k_off + d] = dv_acc[d];
  }
}
