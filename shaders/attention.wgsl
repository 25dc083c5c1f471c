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
//
// A template: the register-blocked kernels' per-row and per-vec4 lines are written once between //#for
// and //#end and repeated when the shader is loaded (src/engine/webgpu/wgslTemplate.ts).

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

// ---- register-blocked variants for HEAD_DIM a multiple of 4, at most REG_HEAD_DIM (32) -------------
// Same results as the kernels above up to float rounding, several times faster on SwiftShader: each
// invocation handles a block of 4 query rows (forward, dq) or 4 key rows (dk, dv), so every key, value,
// query or output-gradient row loaded serves 4 rows, and every row lives in named vec4 registers
// (`Row`) instead of arrays indexed in a loop (which SwiftShader keeps in memory). The `HEAD_DIM > n`
// branches fold away when the pipeline is compiled. Real GPUs run these well too: no barriers, no
// workgroup memory, neighbouring invocations read the same key rows.

const REG_HEAD_DIM: u32 = 32u;

// One head-dim row, D / 4 of the 8 slots used.
struct Row {
  c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32>,
  c4: vec4<f32>, c5: vec4<f32>, c6: vec4<f32>, c7: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> q4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4<f32>>; // attention_forward_vec4
@group(0) @binding(4) var<storage, read> dout4: array<vec4<f32>>;      // backward
@group(0) @binding(6) var<storage, read> out_in4: array<vec4<f32>>;    // attention_backward_query_vec4
@group(0) @binding(7) var<storage, read_write> dq4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dk4: array<vec4<f32>>;  // attention_backward_key_value_vec4
@group(0) @binding(7) var<storage, read_write> dv4: array<vec4<f32>>;

// Loads and stores, one per buffer (WGSL cannot pass storage arrays to functions); i is a vec4 index.
//#for buf in q4, k4, v4, dout4, out_in4
fn load_${buf}(i: u32) -> Row {
  var x: Row;
  x.c0 = ${buf}[i];
  //#for j in 1..7
  if (HEAD_DIM > ${4 * j}u) { x.c${j} = ${buf}[i + ${j}u]; }
  //#end
  return x;
}

//#end
//#for buf in out4, dq4, dk4, dv4
fn store_${buf}(i: u32, x: Row) {
  ${buf}[i] = x.c0;
  //#for j in 1..7
  if (HEAD_DIM > ${4 * j}u) { ${buf}[i + ${j}u] = x.c${j}; }
  //#end
}

//#end
fn row_dot(a: Row, b: Row) -> f32 {
  var s = dot(a.c0, b.c0);
  //#for j in 1..7
  if (HEAD_DIM > ${4 * j}u) { s += dot(a.c${j}, b.c${j}); }
  //#end
  return s;
}

// a * x + b * y (unused slots stay zero).
fn row_axpby(a: f32, x: Row, b: f32, y: Row) -> Row {
  var r: Row;
  r.c0 = a * x.c0 + b * y.c0;
  //#for j in 1..7
  if (HEAD_DIM > ${4 * j}u) { r.c${j} = a * x.c${j} + b * y.c${j}; }
  //#end
  return r;
}

// x + b * y
fn row_add_scaled(x: Row, b: f32, y: Row) -> Row {
  return row_axpby(1.0, x, b, y);
}

fn row_scale(a: f32, x: Row) -> Row {
  var r: Row;
  return row_axpby(a, x, 0.0, r);
}

// The 4 query rows t0..t0+3 of a block as offsets of vec4s; rows past Tq are clamped to the last row
// (computed, never stored).
fn block_rows(p: Params, r: u32, t0: u32, h: u32) -> vec4<u32> {
  let tl = p.Tq - 1u;
  return vec4<u32>(
    row_offset(r, min(t0, tl), p.Tq, h, p.H),
    row_offset(r, min(t0 + 1u, tl), p.Tq, h, p.H),
    row_offset(r, min(t0 + 2u, tl), p.Tq, h, p.H),
    row_offset(r, min(t0 + 3u, tl), p.Tq, h, p.H),
  ) / 4u;
}

const NEG_BIG: f32 = -3.0e38; // a masked score: exp(NEG_BIG - m) = 0 for every finite m

// One invocation per block of 4 query rows (r, h, t0 = 4 * block), blocks fastest so the 4 invocations
// SwiftShader runs side by side read the same keys. Dispatch: R * H * ceil(Tq / 4) invocations.
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_forward;
  let i = flat_index(gid, nwg);
  let TB = (p.Tq + 3u) / 4u;
  if (i >= p.R * p.H * TB) { return; }
  let t0 = (i % TB) * 4u;
  let h = (i / TB) % p.H;
  let r = i / (TB * p.H);
  let kvh = h / (p.H / p.KVH);
  let row = rows[r];
  let o = block_rows(p, r, t0, h);
  let valid = vec4<u32>(t0, t0 + 1u, t0 + 2u, t0 + 3u) < vec4<u32>(row.y);
  //#for j in 0..3
  var a${j}: Row;
  //#end
  var m = vec4<f32>(0.0);
  var l = vec4<f32>(1.0);
  if (t0 < row.y) {
    //#for j, c in x, y, z, w
    let x${j} = row_scale(p.scale, load_q4(o.${c}));
    //#end
    // Query t0 + j sees keys 0 ..= start + t0 + j; the block runs to its last valid row's limit.
    let first_last = row.x + t0;
    let lim = vec4<u32>(first_last, first_last + 1u, first_last + 2u, first_last + 3u);
    let last = row.x + min(t0 + 3u, row.y - 1u);
    let kstride = p.KVH * HEAD_DIM / 4u;
    var kb = row_offset(row.z, 0u, p.Tk, kvh, p.KVH) / 4u;
    // Key 0 is visible to every row: it starts the running softmax (no -inf sentinel needed).
    let k0 = load_k4(kb);
    m = vec4<f32>(row_dot(x0, k0), row_dot(x1, k0), row_dot(x2, k0), row_dot(x3, k0));
    let v0 = load_v4(kb);
    //#for j in 0..3
    a${j} = v0;
    //#end
    for (var s = 1u; s <= last; s++) {
      kb += kstride;
      let kr = load_k4(kb);
      let score = select(
        vec4<f32>(NEG_BIG),
        vec4<f32>(row_dot(x0, kr), row_dot(x1, kr), row_dot(x2, kr), row_dot(x3, kr)),
        vec4<u32>(s) <= lim,
      );
      let m_new = max(m, score);
      let correction = exp(m - m_new);
      let e = exp(score - m_new);
      l = l * correction + e;
      let vr = load_v4(kb);
      //#for j, c in x, y, z, w
      a${j} = row_axpby(correction.${c}, a${j}, e.${c}, vr);
      //#end
      m = m_new;
    }
  }
  // Rows t >= count get zeros (out and stats), as in attention_forward.
  let inv_l = select(vec4<f32>(0.0), 1.0 / l, valid);
  let lse = select(vec4<f32>(0.0), m + log(l), valid);
  if (t0 < p.Tq) {
    store_out4(o.x, row_scale(inv_l.x, a0));
    stats[stats_index(p, r, t0, h)] = lse.x;
  }
  //#for j, c in y, z, w
  if (t0 + ${j + 1}u < p.Tq) {
    store_out4(o.${c}, row_scale(inv_l.${c}, a${j + 1}));
    stats[stats_index(p, r, t0 + ${j + 1}u, h)] = lse.${c};
  }
  //#end
}

// dq for a block of 4 query rows, and delta = dot(dout, out) of each row into stats (as
// attention_backward_query). Dispatch: R * H * ceil(Tq / 4) invocations.
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_backward_query_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_backward;
  let i = flat_index(gid, nwg);
  let TB = (p.Tq + 3u) / 4u;
  if (i >= p.R * p.H * TB) { return; }
  let t0 = (i % TB) * 4u;
  let h = (i / TB) % p.H;
  let r = i / (TB * p.H);
  let kvh = h / (p.H / p.KVH);
  let row = rows[r];
  let o = block_rows(p, r, t0, h);
  let valid = vec4<u32>(t0, t0 + 1u, t0 + 2u, t0 + 3u) < vec4<u32>(row.y);
  //#for j in 0..3
  var g${j}: Row;
  //#end
  var delta = vec4<f32>(0.0);
  if (t0 < row.y) {
    //#for j, c in x, y, z, w
    let x${j} = row_scale(p.scale, load_q4(o.${c}));
    //#end
    //#for j, c in x, y, z, w
    let d${j} = load_dout4(o.${c});
    //#end
    delta = select(
      vec4<f32>(0.0),
      vec4<f32>(
        //#for j, c in x, y, z, w
        row_dot(d${j}, load_out_in4(o.${c})),
        //#end
      ),
      valid,
    );
    let tl = p.Tq - 1u;
    let lse = vec4<f32>(
      stats[stats_index(p, r, t0, h)],
      stats[stats_index(p, r, min(t0 + 1u, tl), h)],
      stats[stats_index(p, r, min(t0 + 2u, tl), h)],
      stats[stats_index(p, r, min(t0 + 3u, tl), h)],
    );
    let first_last = row.x + t0;
    let lim = vec4<u32>(first_last, first_last + 1u, first_last + 2u, first_last + 3u);
    let last = row.x + min(t0 + 3u, row.y - 1u);
    let kstride = p.KVH * HEAD_DIM / 4u;
    var kb = row_offset(r, 0u, p.Tk, kvh, p.KVH) / 4u;
    for (var s = 0u; s <= last; s++) {
      let kr = load_k4(kb);
      let vr = load_v4(kb);
      let score = vec4<f32>(row_dot(x0, kr), row_dot(x1, kr), row_dot(x2, kr), row_dot(x3, kr));
      // Rows past count have lse 0 from the forward: mask them too, so no inf reaches the sums.
      let prob = select(vec4<f32>(0.0), exp(score - lse), (vec4<u32>(s) <= lim) & valid);
      let dp = vec4<f32>(row_dot(d0, vr), row_dot(d1, vr), row_dot(d2, vr), row_dot(d3, vr));
      let ds = prob * (dp - delta);
      //#for j, c in x, y, z, w
      g${j} = row_add_scaled(g${j}, ds.${c}, kr);
      //#end
      kb += kstride;
    }
  }
  // Rows t >= count get dq = 0 and delta = 0.
  let sc = select(vec4<f32>(0.0), vec4<f32>(p.scale), valid);
  if (t0 < p.Tq) {
    store_dq4(o.x, row_scale(sc.x, g0));
    stats[stats_index(p, r, t0, h) + 1u] = delta.x;
  }
  //#for j, c in y, z, w
  if (t0 + ${j + 1}u < p.Tq) {
    store_dq4(o.${c}, row_scale(sc.${c}, g${j + 1}));
    stats[stats_index(p, r, t0 + ${j + 1}u, h) + 1u] = delta.${c};
  }
  //#end
}

// dk and dv for a block of 4 key rows s0..s0+3 of (r, kvh), summed over the group's query heads and
// every query row that sees them (as attention_backward_key_value). Dispatch: R * KVH * ceil(Tk / 4).
@compute @workgroup_size(WORKGROUP_SIZE)
fn attention_backward_key_value_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = params_backward;
  let i = flat_index(gid, nwg);
  let SB = (p.Tk + 3u) / 4u;
  if (i >= p.R * p.KVH * SB) { return; }
  let s0 = (i % SB) * 4u;
  let kvh = (i / SB) % p.KVH;
  let r = i / (SB * p.KVH);
  let sl = p.Tk - 1u;
  let kb = vec4<u32>(
    row_offset(r, s0, p.Tk, kvh, p.KVH),
    row_offset(r, min(s0 + 1u, sl), p.Tk, kvh, p.KVH),
    row_offset(r, min(s0 + 2u, sl), p.Tk, kvh, p.KVH),
    row_offset(r, min(s0 + 3u, sl), p.Tk, kvh, p.KVH),
  ) / 4u;
  //#for j, c in x, y, z, w
  let k${j} = row_scale(p.scale, load_k4(kb.${c}));
  //#end
  //#for j, c in x, y, z, w
  let v${j} = load_v4(kb.${c});
  //#end
  //#for j in 0..3
  var gk${j}: Row;
  //#end
  //#for j in 0..3
  var gv${j}: Row;
  //#end
  let row = rows[r];
  // Query t (absolute position start + t) sees key s when start + t >= s.
  let t_first = select(0u, s0 - row.x, s0 > row.x);
  let keys = vec4<u32>(s0, s0 + 1u, s0 + 2u, s0 + 3u);
  let group = p.H / p.KVH;
  let qstride = p.H * HEAD_DIM / 4u;
  for (var g = 0u; g < group; g++) {
    let h = kvh * group + g;
    var qb = row_offset(r, t_first, p.Tq, h, p.H) / 4u;
    var si = stats_index(p, r, t_first, h);
    for (var t = t_first; t < row.y; t++) {
      let x = load_q4(qb);
      let d = load_dout4(qb);
      let lse = stats_in[si];
      let delta = stats_in[si + 1u];
      let score = vec4<f32>(row_dot(x, k0), row_dot(x, k1), row_dot(x, k2), row_dot(x, k3));
      let prob = select(vec4<f32>(0.0), exp(score - lse), keys <= vec4<u32>(row.x + t));
      let dp = vec4<f32>(row_dot(d, v0), row_dot(d, v1), row_dot(d, v2), row_dot(d, v3));
      let ds = prob * (dp - delta);
      //#for j, c in x, y, z, w
      gv${j} = row_add_scaled(gv${j}, prob.${c}, d);
      //#end
      //#for j, c in x, y, z, w
      gk${j} = row_add_scaled(gk${j}, ds.${c}, x);
      //#end
      qb += qstride;
      si += p.H * 2u;
    }
  }
  // k was pre-scaled, so ds * q already carries one factor of scale: dk = scale * Σ ds q.
  store_dk4(kb.x, row_scale(p.scale, gk0));
  store_dv4(kb.x, gv0);
  //#for j, c in y, z, w
  if (s0 + ${j + 1}u < p.Tk) {
    store_dk4(kb.${c}, row_scale(p.scale, gk${j + 1}));
    store_dv4(kb.${c}, gv${j + 1});
  }
  //#end
}
