// One decoder layer of one KV-cache decode step in a single dispatch (a "layer kernel"): for each
// sequence row r (four rows per workgroup, as the components of vec4s, so each weight loaded serves four
// rows) the workgroup runs
//   x += o_proj(attention(rope(q(ln1 x)), cache ∪ rope(k(ln1 x)), cache ∪ v(ln1 x)))
//   x += down(silu(gate(ln2 x)) * up(ln2 x))
// and appends the row's new key and value to the cache, keeping every intermediate in workgroup
// memory. The unfused path (model.ts) takes 12 dispatches per layer and token for the same work; for
// the lab's small models each of those is a tiny kernel, so on a hardware GPU a decode step costs its
// dispatch count more than its arithmetic.
//
// The arithmetic follows the separate kernels: RMSNorm sums the squares in order as rmsnorm.wgsl does
// and applies x * rstd * weight; RoPE is rope.wgsl's rotate_half; attention is attention_forward's
// online softmax, one invocation per head streaming over the keys from key 0 (same order, same
// formulas); SwiGLU is swiglu.wgsl's g * sigmoid(g) * u. The projections are register-blocked like
// matmul.wgsl's vec4 kernel (four outputs of four rows per invocation, four k per loop trip: on
// SwiftShader loads per multiply-add and loop trips bound the speed), so they differ from the matmul
// kernels in rounding only. C and HEAD_DIM are multiples of 4 (the host checks).
//
// Weights are read from the model's flat parameter buffer at element offsets (the GPU layout of
// model.ts: row-major (out, in), gate/up padded to I rows, down to I columns with zeros). Shapes:
//   x                 (R, C) the residual stream, updated in place
//   k_cache, v_cache  (S, Tmax, KVD)   KVD = KVH * HEAD_DIM
//   rows              (R) vec4(position, 1, slot, 0), attention.wgsl's decode rows
//   cos/sin tables    (maxPositions, HEAD_DIM / 2)
// Rows past R (the last workgroup's padding) compute on zeros and write nothing. The host takes this
// kernel only when four rows' vectors fit workgroup memory (decodeLayer.ts).

struct Params {
  R: u32,
  Tmax: u32,
  eps: f32,
  scale: f32, // 1 / sqrt(HEAD_DIM)
  in_norm: u32,
  q_w: u32,
  q_b: u32,
  k_w: u32,
  k_b: u32,
  v_w: u32,
  v_b: u32,
  o_w: u32,
  post_norm: u32,
  gate_w: u32,
  up_w: u32,
  down_w: u32,
}

@group(0) @binding(0) var<storage, read> weights: array<vec4<f32>>; // every offset a multiple of 4
@group(0) @binding(1) var<storage, read> cos_table: array<f32>;
@group(0) @binding(2) var<storage, read> sin_table: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(6) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

override WORKGROUP_SIZE: u32 = 64;
override C: u32 = 32;        // hidden size
override H: u32 = 4;         // query heads
override KVH: u32 = 2;       // key/value heads
override HEAD_DIM: u32 = 8;
override I: u32 = 40;        // MLP width (padded)
override HD: u32 = H * HEAD_DIM;
override KVD: u32 = KVH * HEAD_DIM;
const MAX_HEAD_DIM: u32 = 128;
const ROWS: u32 = 4u; // rows per workgroup: the components of every vec4 below

var<workgroup> xs: array<vec4<f32>, C>;              // the residual rows
var<workgroup> ln: array<vec4<f32>, C>;              // the normed rows
var<workgroup> qkv: array<vec4<f32>, HD + 2u * KVD>; // q, then k, then v of this position
// Attention output, heads side by side: element i of row k at 4 * i + k. Scalars, not vec4s: the four
// rows are written by different invocations at once, and a store to one component of a vec4 may be
// compiled as a read-modify-write of the whole vector (Dawn's HLSL backend does so), which would race.
var<workgroup> att: array<f32, 4u * HD>;
var<workgroup> act: array<vec4<f32>, I>;             // silu(gate) * up

// RMSNorm of xs into ln, summing in order like rmsnorm.wgsl, each row in its component (every
// invocation sums the same values, so no reduction barrier is needed and the sums are that kernel's).
// `weight` is the norm weight's element offset.
fn rmsnorm(lid: u32, weight: u32) {
  var sq = vec4<f32>(0.0);
  for (var c = 0u; c < C; c++) {
    let v = xs[c];
    sq += v * v;
  }
  let r = 1.0 / sqrt(sq / f32(C) + p.eps);
  for (var c = lid; c < C; c += WORKGROUP_SIZE) {
    ln[c] = xs[c] * r * weights[weight / 4u + c / 4u][c % 4u];
  }
}

// Four consecutive outputs for the four rows (a0..a3: output j, rows in the components).
struct Acc4 { a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32> }

// The four rows' element i of each projection input.
fn load_ln(i: u32) -> vec4<f32> {
  return ln[i];
}

fn load_act(i: u32) -> vec4<f32> {
  return act[i];
}

fn load_att(i: u32) -> vec4<f32> {
  return vec4<f32>(att[4u * i], att[4u * i + 1u], att[4u * i + 2u], att[4u * i + 3u]);
}

//#for src in ln, att, act
// Σ_k ${src}[k] * W[o + j, k] for j < 4, where output o's weight row of K elements starts at vec4
// index w4 and the rows follow each other.
fn proj_${src}(w4: u32, K: u32) -> Acc4 {
  let K4 = K / 4u;
  //#for j in 0..3
  var acc${j} = vec4<f32>(0.0);
  //#end
  for (var k4 = 0u; k4 < K4; k4++) {
    let k = 4u * k4;
    let x0 = load_${src}(k);
    let x1 = load_${src}(k + 1u);
    let x2 = load_${src}(k + 2u);
    let x3 = load_${src}(k + 3u);
    //#for j in 0..3
    let w${j} = weights[w4 + ${j}u * K4 + k4];
    acc${j} += x0 * w${j}.x + x1 * w${j}.y + x2 * w${j}.z + x3 * w${j}.w;
    //#end
  }
  return Acc4(acc0, acc1, acc2, acc3);
}
//#end

fn sigmoid(v: vec4<f32>) -> vec4<f32> {
  return 1.0 / (1.0 + exp(-v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn decode_layer(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wid.x * ROWS;
  // Row k of this workgroup is r0 + k; valid[k] says whether it exists. Positions and slots of
  // missing rows read as 0 (they are never written).
  var valid: array<bool, 4>;
  var pos: array<u32, 4>;
  var slot: array<u32, 4>;
  for (var k = 0u; k < ROWS; k++) {
    valid[k] = r0 + k < p.R;
    if (valid[k]) {
      let row = rows[r0 + k];
      pos[k] = row.x;
      slot[k] = row.z;
    }
  }
  for (var c = lid; c < C; c += WORKGROUP_SIZE) {
    var v = vec4<f32>(0.0);
    for (var k = 0u; k < ROWS; k++) {
      if (valid[k]) { v[k] = x[(r0 + k) * C + c]; }
    }
    xs[c] = v;
  }
  workgroupBarrier();

  // ---- attention branch
  rmsnorm(lid, p.in_norm);
  workgroupBarrier();
  for (var o4 = lid; o4 < (HD + 2u * KVD) / 4u; o4 += WORKGROUP_SIZE) {
    let o = 4u * o4; // q, k and v widths are multiples of 4, so the four outputs share a tensor
    var w = p.q_w + o * C;
    var b = p.q_b + o;
    if (o >= HD + KVD) {
      w = p.v_w + (o - HD - KVD) * C;
      b = p.v_b + (o - HD - KVD);
    } else if (o >= HD) {
      w = p.k_w + (o - HD) * C;
      b = p.k_b + (o - HD);
    }
    let acc = proj_ln(w / 4u, C);
    let bias = weights[b / 4u];
    qkv[o] = acc.a0 + bias.x;
    qkv[o + 1u] = acc.a1 + bias.y;
    qkv[o + 2u] = acc.a2 + bias.z;
    qkv[o + 3u] = acc.a3 + bias.w;
  }
  workgroupBarrier();
  // RoPE (rotate_half) on the H query heads and the KVH key heads at each row's position.
  let half = HEAD_DIM / 2u;
  for (var i = lid; i < (H + KVH) * half; i += WORKGROUP_SIZE) {
    let j = i % half;
    let head = i / half; // query heads first, then key heads (stored right after q in qkv)
    var c: vec4<f32>;
    var s: vec4<f32>;
    for (var k = 0u; k < ROWS; k++) {
      c[k] = cos_table[pos[k] * half + j];
      s[k] = sin_table[pos[k] * half + j];
    }
    let lo = head * HEAD_DIM + j;
    let x1 = qkv[lo];
    let x2 = qkv[lo + half];
    qkv[lo] = x1 * c - x2 * s;
    qkv[lo + half] = x2 * c + x1 * s;
  }
  workgroupBarrier();
  // Append each row's key and value at its position to its cache slot.
  for (var i = lid; i < ROWS * KVD; i += WORKGROUP_SIZE) {
    let k = i / KVD;
    let j = i % KVD;
    if (valid[k]) {
      let at = (slot[k] * p.Tmax + pos[k]) * KVD + j;
      k_cache[at] = qkv[HD + j][k];
      v_cache[at] = qkv[HD + KVD + j][k];
    }
  }
  // The cache writes must be visible to the invocations that attend over them.
  storageBarrier();
  workgroupBarrier();
  // Attention: one invocation per (row, query head), attention_forward's loop over keys 0 ..= pos.
  for (var a = lid; a < ROWS * H; a += WORKGROUP_SIZE) {
    let k = a / H;
    let h = a % H;
    if (valid[k]) {
      let slot_off = slot[k] * p.Tmax * KVD + (h / (H / KVH)) * HEAD_DIM;
      var q_row: array<f32, MAX_HEAD_DIM>;
      for (var d = 0u; d < HEAD_DIM; d++) { q_row[d] = qkv[h * HEAD_DIM + d][k] * p.scale; }
      var k_off = slot_off;
      var m = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) { m += q_row[d] * k_cache[k_off + d]; }
      var l = 1.0;
      var acc: array<f32, MAX_HEAD_DIM>;
      for (var d = 0u; d < HEAD_DIM; d++) { acc[d] = v_cache[k_off + d]; }
      for (var s = 1u; s <= pos[k]; s++) {
        k_off = slot_off + s * KVD;
        var score = 0.0;
        for (var d = 0u; d < HEAD_DIM; d++) { score += q_row[d] * k_cache[k_off + d]; }
        let m_new = max(m, score);
        let correction = exp(m - m_new);
        let e = exp(score - m_new);
        l = l * correction + e;
        for (var d = 0u; d < HEAD_DIM; d++) { acc[d] = acc[d] * correction + e * v_cache[k_off + d]; }
        m = m_new;
      }
      let inv_l = 1.0 / l;
      for (var d = 0u; d < HEAD_DIM; d++) { att[4u * (h * HEAD_DIM + d) + k] = acc[d] * inv_l; }
    }
  }
  workgroupBarrier();
  // o_proj, added to the residual (the matmul-accumulate of the unfused path: x + (att · Woᵀ)).
  for (var c4 = lid; c4 < C / 4u; c4 += WORKGROUP_SIZE) {
    let c = 4u * c4;
    let acc = proj_att((p.o_w + c * HD) / 4u, HD);
    xs[c] = xs[c] + acc.a0;
    xs[c + 1u] = xs[c + 1u] + acc.a1;
    xs[c + 2u] = xs[c + 2u] + acc.a2;
    xs[c + 3u] = xs[c + 3u] + acc.a3;
  }
  workgroupBarrier();

  // ---- MLP branch
  rmsnorm(lid, p.post_norm);
  workgroupBarrier();
  for (var j4 = lid; j4 < I / 4u; j4 += WORKGROUP_SIZE) {
    let j = 4u * j4;
    let g = proj_ln((p.gate_w + j * C) / 4u, C);
    let u = proj_ln((p.up_w + j * C) / 4u, C);
    act[j] = g.a0 * sigmoid(g.a0) * u.a0;
    act[j + 1u] = g.a1 * sigmoid(g.a1) * u.a1;
    act[j + 2u] = g.a2 * sigmoid(g.a2) * u.a2;
    act[j + 3u] = g.a3 * sigmoid(g.a3) * u.a3;
  }
  workgroupBarrier();
  for (var c4 = lid; c4 < C / 4u; c4 += WORKGROUP_SIZE) {
    let c = 4u * c4;
    let acc = proj_act((p.down_w + c * I) / 4u, I);
    //#for j in 0..3
    let out${j} = xs[c + ${j}u] + acc.a${j};
    //#end
    for (var k = 0u; k < ROWS; k++) {
      if (valid[k]) {
        let at = (r0 + k) * C + c;
        x[at] = out0[k];
        x[at + 1u] = out1[k];
        x[at + 2u] = out2[k];
        x[at + 3u] = out3[k];
      }
    }
  }
}
