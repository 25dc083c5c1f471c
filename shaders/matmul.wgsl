// Matmul family: out (M, N) = op(a) · op(b) [+ bias (N)] [+ out], in every layout the model needs:
//   linear forward     y  = x · Wᵀ + b      TRANS_B = true   (a = x (M, K), b = W (N, K))
//   input gradient     dx = dy · W          plain            (a = dy (M, K), b = W (K, N))
//   weight gradient    dW += dyᵀ · x        TRANS_A = true   (a = dy stored (K, M), b = x (K, N)), accumulate
//   bias gradient      db += column sums of dy              (matmul_bias_backward)
// Three variants of the same product, chosen per adapter by a timed probe (matmul.ts):
//   matmul_blocked  each invocation owns a 4x4 output block in registers, no workgroup memory and no
//                   barriers (what SwiftShader runs fastest), scalar loads, any sizes;
//   matmul_vec4     the same blocking with every load and store a vec4 (4x fewer memory operations;
//                   needs M, N and K multiples of 4, the host falls back to matmul_blocked otherwise);
//   matmul_tiled    a 64x64 output tile per 16x16 workgroup, operands staged through workgroup memory
//                   in K-slices of 16 (what real GPUs reward);
//   matmul_vec8 / matmul_blocked8  the vec4 / blocked kernels with an 8x8 block (further down).
// Ragged sizes: loads clamp indices into range, stores are guarded. The bias gradient runs in two passes
// (matmul_bias_partial / matmul_bias_finish, at the end).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  has_bias: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// matmul_bias_backward: db (N) += Σ_m dy (M, N)
struct BiasParams {
  M: u32,
  N: u32,
}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(2) var<uniform> bias_params: BiasParams;

// matmul_vec4: the same buffers seen as vec4 rows (every dimension a multiple of 4)
@group(0) @binding(0) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params4: Params;

override TRANS_A: bool = false; // a stored (K, M) instead of (M, K)
override TRANS_B: bool = false; // b stored (N, K) instead of (K, N)
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WORKGROUP_SIZE: u32 = 64;

const TILE: u32 = 64u; // matmul_tiled output tile edge (16 invocations x 4)
const TILE_K: u32 = 16u;

var<workgroup> tile_a: array<f32, 1024>; // (TILE_K, TILE): tile_a[k * TILE + m]
var<workgroup> tile_b: array<f32, 1024>; // (TILE_K, TILE): tile_b[k * TILE + n]

fn load_a(m: u32, k: u32) -> f32 {
  if (TRANS_A) {
    return a[k * params.M + m];
  }
  return a[m * params.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (TRANS_B) {
    return b[n * params.K + k];
  }
  return b[k * params.N + n];
}

// Writes one output row segment of 4 columns starting at n0, adding bias and the old value as asked.
fn store_row(m: u32, n0: u32, v: vec4<f32>) {
  if (m >= params.M) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < params.N) {
      var r = v[j];
      if (params.has_bias != 0u) {
        r += bias[n];
      }
      let o = m * params.N + n;
      if (params.accumulate != 0u) {
        r += out[o];
      }
      out[o] = r;
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_blocked(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (n0 >= params.N || m0 >= params.M) {
    return;
  }
  let mmax = params.M - 1u;
  let nmax = params.N - 1u;
  let ms = min(vec4<u32>(m0, m0 + 1u, m0 + 2u, m0 + 3u), vec4<u32>(mmax));
  let ns = min(vec4<u32>(n0, n0 + 1u, n0 + 2u, n0 + 3u), vec4<u32>(nmax));
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < params.K; k++) {
    let av = vec4<f32>(load_a(ms.x, k), load_a(ms.y, k), load_a(ms.z, k), load_a(ms.w, k));
    let bv = vec4<f32>(load_b(k, ns.x), load_b(k, ns.y), load_b(k, ns.z), load_b(k, ns.w));
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }
  store_row(m0, n0, acc0);
  store_row(m0 + 1u, n0, acc1);
  store_row(m0 + 2u, n0, acc2);
  store_row(m0 + 3u, n0, acc3);
}

// Output rows m0..m0+3, columns n0..n0+3 (in range: the host guarantees multiples of 4).
fn store_vec4(m: u32, n0: u32, v: vec4<f32>) {
  let o = m * (params4.N / 4u) + n0 / 4u;
  var r = v;
  if (params4.has_bias != 0u) {
    r += bias4[n0 / 4u];
  }
  if (params4.accumulate != 0u) {
    r += out4[o];
  }
  out4[o] = r;
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  let M = params4.M;
  let N = params4.N;
  let K = params4.K;
  if (n0 >= N || m0 >= M) {
    return;
  }
  let K4 = K / 4u;
  let N4 = N / 4u;
  let M4 = M / 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  if (TRANS_A) {
    // a stored (K, M), b (K, N): one vec4 of each per k, four k per trip with running indices
    // (SwiftShader pays per loop trip; this measured 1.4-2.3x faster than one k per trip).
    var ia = m0 / 4u;
    var ib = n0 / 4u;
    for (var k = 0u; k < K; k += 4u) {
      let a0 = a4[ia];
      let a1 = a4[ia + M4];
      let a2 = a4[ia + 2u * M4];
      let a3 = a4[ia + 3u * M4];
      let b0 = b4[ib];
      let b1 = b4[ib + N4];
      let b2 = b4[ib + 2u * N4];
      let b3 = b4[ib + 3u * N4];
      ia += 4u * M4;
      ib += 4u * N4;
      acc0 += a0.x * b0 + a1.x * b1 + a2.x * b2 + a3.x * b3;
      acc1 += a0.y * b0 + a1.y * b1 + a2.y * b2 + a3.y * b3;
      acc2 += a0.z * b0 + a1.z * b1 + a2.z * b2 + a3.z * b3;
      acc3 += a0.w * b0 + a1.w * b1 + a2.w * b2 + a3.w * b3;
    }
  } else if (TRANS_B) {
    // a (M, K), b stored (N, K): four k per load, dot products across them.
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = a4[m0 * K4 + k4];
      let a1 = a4[(m0 + 1u) * K4 + k4];
      let a2 = a4[(m0 + 2u) * K4 + k4];
      let a3 = a4[(m0 + 3u) * K4 + k4];
      let b0 = b4[n0 * K4 + k4];
      let b1 = b4[(n0 + 1u) * K4 + k4];
      let b2 = b4[(n0 + 2u) * K4 + k4];
      let b3 = b4[(n0 + 3u) * K4 + k4];
      acc0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
      acc1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
      acc2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
      acc3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    }
  } else {
    // a (M, K), b (K, N): four k of each A row, four B rows of four columns.
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = a4[m0 * K4 + k4];
      let a1 = a4[(m0 + 1u) * K4 + k4];
      let a2 = a4[(m0 + 2u) * K4 + k4];
      let a3 = a4[(m0 + 3u) * K4 + k4];
      let kb = k4 * 4u * N4 + n0 / 4u;
      let b0 = b4[kb];
      let b1 = b4[kb + N4];
      let b2 = b4[kb + 2u * N4];
      let b3 = b4[kb + 3u * N4];
      acc0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
      acc1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
      acc2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
      acc3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
    }
  }
  store_vec4(m0, n0, acc0);
  store_vec4(m0 + 1u, n0, acc1);
  store_vec4(m0 + 2u, n0, acc2);
  store_vec4(m0 + 3u, n0, acc3);
}

// matmul_vec8: the vec4 kernel with an 8x8 output block per invocation (M, N and K multiples of 4).
// On SwiftShader every load an invocation makes is a gather of scalars, so loads per multiply-add are
// what bound the speed; doubling the block edge halves them (1.5-1.8x over matmul_vec4 on the model's
// shapes). Block rows and columns past M or N are clamped on load and skipped on store. Variables are
// named, not arrays: SwiftShader keeps loop-indexed arrays in memory.
fn store_vec8(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (m >= params4.M) {
    return;
  }
  store_vec4(m, n0, lo);
  if (n0 + 4u < params4.N) {
    store_vec4(m, n0 + 4u, hi);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_vec8(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 8u;
  let M = params4.M;
  let N = params4.N;
  let K = params4.K;
  if (n0 >= N || m0 >= M) {
    return;
  }
  let K4 = K / 4u;
  let N4 = N / 4u;
  let M4 = M / 4u;
  // Columns n0..n0+3 (lo) and n0+4..n0+7 (hi) of rows m0..m0+7.
  let n_hi = min(n0 + 4u, N - 4u);
  var lo0 = vec4<f32>(0.0);
  var hi0 = vec4<f32>(0.0);
  var lo1 = vec4<f32>(0.0);
  var hi1 = vec4<f32>(0.0);
  var lo2 = vec4<f32>(0.0);
  var hi2 = vec4<f32>(0.0);
  var lo3 = vec4<f32>(0.0);
  var hi3 = vec4<f32>(0.0);
  var lo4 = vec4<f32>(0.0);
  var hi4 = vec4<f32>(0.0);
  var lo5 = vec4<f32>(0.0);
  var hi5 = vec4<f32>(0.0);
  var lo6 = vec4<f32>(0.0);
  var hi6 = vec4<f32>(0.0);
  var lo7 = vec4<f32>(0.0);
  var hi7 = vec4<f32>(0.0);
  if (TRANS_A) {
    // a stored (K, M), b (K, N): per k an 8-wide segment of each and their outer product; four k per
    // trip with running indices.
    var ia_lo = m0 / 4u;
    var ia_hi = min(m0 + 4u, M - 4u) / 4u;
    var ib_lo = n0 / 4u;
    var ib_hi = n_hi / 4u;
    for (var k = 0u; k < K; k += 4u) {
      let al0 = a4[ia_lo + 0u * M4];
      let ah0 = a4[ia_hi + 0u * M4];
      let bl0 = b4[ib_lo + 0u * N4];
      let bh0 = b4[ib_hi + 0u * N4];
      let al1 = a4[ia_lo + 1u * M4];
      let ah1 = a4[ia_hi + 1u * M4];
      let bl1 = b4[ib_lo + 1u * N4];
      let bh1 = b4[ib_hi + 1u * N4];
      let al2 = a4[ia_lo + 2u * M4];
      let ah2 = a4[ia_hi + 2u * M4];
      let bl2 = b4[ib_lo + 2u * N4];
      let bh2 = b4[ib_hi + 2u * N4];
      let al3 = a4[ia_lo + 3u * M4];
      let ah3 = a4[ia_hi + 3u * M4];
      let bl3 = b4[ib_lo + 3u * N4];
      let bh3 = b4[ib_hi + 3u * N4];
      lo0 += al0.x * bl0 + al1.x * bl1 + al2.x * bl2 + al3.x * bl3;
      hi0 += al0.x * bh0 + al1.x * bh1 + al2.x * bh2 + al3.x * bh3;
      lo1 += al0.y * bl0 + al1.y * bl1 + al2.y * bl2 + al3.y * bl3;
      hi1 += al0.y * bh0 + al1.y * bh1 + al2.y * bh2 + al3.y * bh3;
      lo2 += al0.z * bl0 + al1.z * bl1 + al2.z * bl2 + al3.z * bl3;
      hi2 += al0.z * bh0 + al1.z * bh1 + al2.z * bh2 + al3.z * bh3;
      lo3 += al0.w * bl0 + al1.w * bl1 + al2.w * bl2 + al3.w * bl3;
      hi3 += al0.w * bh0 + al1.w * bh1 + al2.w * bh2 + al3.w * bh3;
      lo4 += ah0.x * bl0 + ah1.x * bl1 + ah2.x * bl2 + ah3.x * bl3;
      hi4 += ah0.x * bh0 + ah1.x * bh1 + ah2.x * bh2 + ah3.x * bh3;
      lo5 += ah0.y * bl0 + ah1.y * bl1 + ah2.y * bl2 + ah3.y * bl3;
      hi5 += ah0.y * bh0 + ah1.y * bh1 + ah2.y * bh2 + ah3.y * bh3;
      lo6 += ah0.z * bl0 + ah1.z * bl1 + ah2.z * bl2 + ah3.z * bl3;
      hi6 += ah0.z * bh0 + ah1.z * bh1 + ah2.z * bh2 + ah3.z * bh3;
      lo7 += ah0.w * bl0 + ah1.w * bl1 + ah2.w * bl2 + ah3.w * bl3;
      hi7 += ah0.w * bh0 + ah1.w * bh1 + ah2.w * bh2 + ah3.w * bh3;
      ia_lo += 4u * M4;
      ia_hi += 4u * M4;
      ib_lo += 4u * N4;
      ib_hi += 4u * N4;
    }
  } else {
    // Start of each A row (clamped into the matrix), in vec4s.
    let ra0 = min(m0 + 0u, M - 1u) * K4;
    let ra1 = min(m0 + 1u, M - 1u) * K4;
    let ra2 = min(m0 + 2u, M - 1u) * K4;
    let ra3 = min(m0 + 3u, M - 1u) * K4;
    let ra4 = min(m0 + 4u, M - 1u) * K4;
    let ra5 = min(m0 + 5u, M - 1u) * K4;
    let ra6 = min(m0 + 6u, M - 1u) * K4;
    let ra7 = min(m0 + 7u, M - 1u) * K4;
    if (TRANS_B) {
      // a (M, K), b stored (N, K): four k per load, dot products across them.
      let rb0 = min(n0 + 0u, N - 1u) * K4;
      let rb1 = min(n0 + 1u, N - 1u) * K4;
      let rb2 = min(n0 + 2u, N - 1u) * K4;
      let rb3 = min(n0 + 3u, N - 1u) * K4;
      let rb4 = min(n0 + 4u, N - 1u) * K4;
      let rb5 = min(n0 + 5u, N - 1u) * K4;
      let rb6 = min(n0 + 6u, N - 1u) * K4;
      let rb7 = min(n0 + 7u, N - 1u) * K4;
      for (var k4 = 0u; k4 < K4; k4++) {
        let br0 = b4[rb0 + k4];
        let br1 = b4[rb1 + k4];
        let br2 = b4[rb2 + k4];
        let br3 = b4[rb3 + k4];
        let br4 = b4[rb4 + k4];
        let br5 = b4[rb5 + k4];
        let br6 = b4[rb6 + k4];
        let br7 = b4[rb7 + k4];
        let ar0 = a4[ra0 + k4];
        lo0 += vec4<f32>(dot(ar0, br0), dot(ar0, br1), dot(ar0, br2), dot(ar0, br3));
        hi0 += vec4<f32>(dot(ar0, br4), dot(ar0, br5), dot(ar0, br6), dot(ar0, br7));
        let ar1 = a4[ra1 + k4];
        lo1 += vec4<f32>(dot(ar1, br0), dot(ar1, br1), dot(ar1, br2), dot(ar1, br3));
        hi1 += vec4<f32>(dot(ar1, br4), dot(ar1, br5), dot(ar1, br6), dot(ar1, br7));
        let ar2 = a4[ra2 + k4];
        lo2 += vec4<f32>(dot(ar2, br0), dot(ar2, br1), dot(ar2, br2), dot(ar2, br3));
        hi2 += vec4<f32>(dot(ar2, br4), dot(ar2, br5), dot(ar2, br6), dot(ar2, br7));
        let ar3 = a4[ra3 + k4];
        lo3 += vec4<f32>(dot(ar3, br0), dot(ar3, br1), dot(ar3, br2), dot(ar3, br3));
        hi3 += vec4<f32>(dot(ar3, br4), dot(ar3, br5), dot(ar3, br6), dot(ar3, br7));
        let ar4 = a4[ra4 + k4];
        lo4 += vec4<f32>(dot(ar4, br0), dot(ar4, br1), dot(ar4, br2), dot(ar4, br3));
        hi4 += vec4<f32>(dot(ar4, br4), dot(ar4, br5), dot(ar4, br6), dot(ar4, br7));
        let ar5 = a4[ra5 + k4];
        lo5 += vec4<f32>(dot(ar5, br0), dot(ar5, br1), dot(ar5, br2), dot(ar5, br3));
        hi5 += vec4<f32>(dot(ar5, br4), dot(ar5, br5), dot(ar5, br6), dot(ar5, br7));
        let ar6 = a4[ra6 + k4];
        lo6 += vec4<f32>(dot(ar6, br0), dot(ar6, br1), dot(ar6, br2), dot(ar6, br3));
        hi6 += vec4<f32>(dot(ar6, br4), dot(ar6, br5), dot(ar6, br6), dot(ar6, br7));
        let ar7 = a4[ra7 + k4];
        lo7 += vec4<f32>(dot(ar7, br0), dot(ar7, br1), dot(ar7, br2), dot(ar7, br3));
        hi7 += vec4<f32>(dot(ar7, br4), dot(ar7, br5), dot(ar7, br6), dot(ar7, br7));
      }
    } else {
      // a (M, K), b (K, N): four k of each A row, four B rows of eight columns.
      for (var k4 = 0u; k4 < K4; k4++) {
        let kb = k4 * 4u * N4;
        let bl0 = b4[kb + 0u * N4 + n0 / 4u];
        let bh0 = b4[kb + 0u * N4 + n_hi / 4u];
        let bl1 = b4[kb + 1u * N4 + n0 / 4u];
        let bh1 = b4[kb + 1u * N4 + n_hi / 4u];
        let bl2 = b4[kb + 2u * N4 + n0 / 4u];
        let bh2 = b4[kb + 2u * N4 + n_hi / 4u];
        let bl3 = b4[kb + 3u * N4 + n0 / 4u];
        let bh3 = b4[kb + 3u * N4 + n_hi / 4u];
        let ar0 = a4[ra0 + k4];
        lo0 += ar0.x * bl0 + ar0.y * bl1 + ar0.z * bl2 + ar0.w * bl3;
        hi0 += ar0.x * bh0 + ar0.y * bh1 + ar0.z * bh2 + ar0.w * bh3;
        let ar1 = a4[ra1 + k4];
        lo1 += ar1.x * bl0 + ar1.y * bl1 + ar1.z * bl2 + ar1.w * bl3;
        hi1 += ar1.x * bh0 + ar1.y * bh1 + ar1.z * bh2 + ar1.w * bh3;
        let ar2 = a4[ra2 + k4];
        lo2 += ar2.x * bl0 + ar2.y * bl1 + ar2.z * bl2 + ar2.w * bl3;
        hi2 += ar2.x * bh0 + ar2.y * bh1 + ar2.z * bh2 + ar2.w * bh3;
        let ar3 = a4[ra3 + k4];
        lo3 += ar3.x * bl0 + ar3.y * bl1 + ar3.z * bl2 + ar3.w * bl3;
        hi3 += ar3.x * bh0 + ar3.y * bh1 + ar3.z * bh2 + ar3.w * bh3;
        let ar4 = a4[ra4 + k4];
        lo4 += ar4.x * bl0 + ar4.y * bl1 + ar4.z * bl2 + ar4.w * bl3;
        hi4 += ar4.x * bh0 + ar4.y * bh1 + ar4.z * bh2 + ar4.w * bh3;
        let ar5 = a4[ra5 + k4];
        lo5 += ar5.x * bl0 + ar5.y * bl1 + ar5.z * bl2 + ar5.w * bl3;
        hi5 += ar5.x * bh0 + ar5.y * bh1 + ar5.z * bh2 + ar5.w * bh3;
        let ar6 = a4[ra6 + k4];
        lo6 += ar6.x * bl0 + ar6.y * bl1 + ar6.z * bl2 + ar6.w * bl3;
        hi6 += ar6.x * bh0 + ar6.y * bh1 + ar6.z * bh2 + ar6.w * bh3;
        let ar7 = a4[ra7 + k4];
        lo7 += ar7.x * bl0 + ar7.y * bl1 + ar7.z * bl2 + ar7.w * bl3;
        hi7 += ar7.x * bh0 + ar7.y * bh1 + ar7.z * bh2 + ar7.w * bh3;
      }
    }
  }
  store_vec8(m0 + 0u, n0, lo0, hi0);
  store_vec8(m0 + 1u, n0, lo1, hi1);
  store_vec8(m0 + 2u, n0, lo2, hi2);
  store_vec8(m0 + 3u, n0, lo3, hi3);
  store_vec8(m0 + 4u, n0, lo4, hi4);
  store_vec8(m0 + 5u, n0, lo5, hi5);
  store_vec8(m0 + 6u, n0, lo6, hi6);
  store_vec8(m0 + 7u, n0, lo7, hi7);
}

// matmul_blocked8: matmul_blocked with an 8x8 output block (scalar loads, any sizes), for shapes that
// are not multiples of 4. Four k per loop trip with running offsets (a multiply and a trip per load cost
// more than the load on SwiftShader), then the K % 4 tail one k at a time.
fn store_row8(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  store_row(m, n0, lo);
  store_row(m, n0 + 4u, hi);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_blocked8(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 8u;
  let M = params.M;
  let N = params.N;
  let K = params.K;
  if (n0 >= N || m0 >= M) {
    return;
  }
  // Element (m, k) of op(a) is a[a_row * m + a_step * k]; (k, n) of op(b) is b[b_col * n + b_step * k].
  let a_row = select(K, 1u, TRANS_A);
  let a_step = select(1u, M, TRANS_A);
  let b_col = select(1u, K, TRANS_B);
  let b_step = select(N, 1u, TRANS_B);
  let ra0 = min(m0 + 0u, M - 1u) * a_row;
  let ra1 = min(m0 + 1u, M - 1u) * a_row;
  let ra2 = min(m0 + 2u, M - 1u) * a_row;
  let ra3 = min(m0 + 3u, M - 1u) * a_row;
  let ra4 = min(m0 + 4u, M - 1u) * a_row;
  let ra5 = min(m0 + 5u, M - 1u) * a_row;
  let ra6 = min(m0 + 6u, M - 1u) * a_row;
  let ra7 = min(m0 + 7u, M - 1u) * a_row;
  let cb0 = min(n0 + 0u, N - 1u) * b_col;
  let cb1 = min(n0 + 1u, N - 1u) * b_col;
  let cb2 = min(n0 + 2u, N - 1u) * b_col;
  let cb3 = min(n0 + 3u, N - 1u) * b_col;
  let cb4 = min(n0 + 4u, N - 1u) * b_col;
  let cb5 = min(n0 + 5u, N - 1u) * b_col;
  let cb6 = min(n0 + 6u, N - 1u) * b_col;
  let cb7 = min(n0 + 7u, N - 1u) * b_col;
  var lo0 = vec4<f32>(0.0);
  var hi0 = vec4<f32>(0.0);
  var lo1 = vec4<f32>(0.0);
  var hi1 = vec4<f32>(0.0);
  var lo2 = vec4<f32>(0.0);
  var hi2 = vec4<f32>(0.0);
  var lo3 = vec4<f32>(0.0);
  var hi3 = vec4<f32>(0.0);
  var lo4 = vec4<f32>(0.0);
  var hi4 = vec4<f32>(0.0);
  var lo5 = vec4<f32>(0.0);
  var hi5 = vec4<f32>(0.0);
  var lo6 = vec4<f32>(0.0);
  var hi6 = vec4<f32>(0.0);
  var lo7 = vec4<f32>(0.0);
  var hi7 = vec4<f32>(0.0);
  var ka = 0u; // a_step * k
  var kb = 0u; // b_step * k
  let K4 = K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    let oa0 = ka;
    let ob0 = kb;
    let al0 = vec4<f32>(a[ra0 + oa0], a[ra1 + oa0], a[ra2 + oa0], a[ra3 + oa0]);
    let ah0 = vec4<f32>(a[ra4 + oa0], a[ra5 + oa0], a[ra6 + oa0], a[ra7 + oa0]);
    let bl0 = vec4<f32>(b[cb0 + ob0], b[cb1 + ob0], b[cb2 + ob0], b[cb3 + ob0]);
    let bh0 = vec4<f32>(b[cb4 + ob0], b[cb5 + ob0], b[cb6 + ob0], b[cb7 + ob0]);
    let oa1 = ka + a_step;
    let ob1 = kb + b_step;
    let al1 = vec4<f32>(a[ra0 + oa1], a[ra1 + oa1], a[ra2 + oa1], a[ra3 + oa1]);
    let ah1 = vec4<f32>(a[ra4 + oa1], a[ra5 + oa1], a[ra6 + oa1], a[ra7 + oa1]);
    let bl1 = vec4<f32>(b[cb0 + ob1], b[cb1 + ob1], b[cb2 + ob1], b[cb3 + ob1]);
    let bh1 = vec4<f32>(b[cb4 + ob1], b[cb5 + ob1], b[cb6 + ob1], b[cb7 + ob1]);
    let oa2 = ka + 2u * a_step;
    let ob2 = kb + 2u * b_step;
    let al2 = vec4<f32>(a[ra0 + oa2], a[ra1 + oa2], a[ra2 + oa2], a[ra3 + oa2]);
    let ah2 = vec4<f32>(a[ra4 + oa2], a[ra5 + oa2], a[ra6 + oa2], a[ra7 + oa2]);
    let bl2 = vec4<f32>(b[cb0 + ob2], b[cb1 + ob2], b[cb2 + ob2], b[cb3 + ob2]);
    let bh2 = vec4<f32>(b[cb4 + ob2], b[cb5 + ob2], b[cb6 + ob2], b[cb7 + ob2]);
    let oa3 = ka + 3u * a_step;
    let ob3 = kb + 3u * b_step;
    let al3 = vec4<f32>(a[ra0 + oa3], a[ra1 + oa3], a[ra2 + oa3], a[ra3 + oa3]);
    let ah3 = vec4<f32>(a[ra4 + oa3], a[ra5 + oa3], a[ra6 + oa3], a[ra7 + oa3]);
    let bl3 = vec4<f32>(b[cb0 + ob3], b[cb1 + ob3], b[cb2 + ob3], b[cb3 + ob3]);
    let bh3 = vec4<f32>(b[cb4 + ob3], b[cb5 + ob3], b[cb6 + ob3], b[cb7 + ob3]);
    lo0 += al0.x * bl0 + al1.x * bl1 + al2.x * bl2 + al3.x * bl3;
    hi0 += al0.x * bh0 + al1.x * bh1 + al2.x * bh2 + al3.x * bh3;
    lo1 += al0.y * bl0 + al1.y * bl1 + al2.y * bl2 + al3.y * bl3;
    hi1 += al0.y * bh0 + al1.y * bh1 + al2.y * bh2 + al3.y * bh3;
    lo2 += al0.z * bl0 + al1.z * bl1 + al2.z * bl2 + al3.z * bl3;
    hi2 += al0.z * bh0 + al1.z * bh1 + al2.z * bh2 + al3.z * bh3;
    lo3 += al0.w * bl0 + al1.w * bl1 + al2.w * bl2 + al3.w * bl3;
    hi3 += al0.w * bh0 + al1.w * bh1 + al2.w * bh2 + al3.w * bh3;
    lo4 += ah0.x * bl0 + ah1.x * bl1 + ah2.x * bl2 + ah3.x * bl3;
    hi4 += ah0.x * bh0 + ah1.x * bh1 + ah2.x * bh2 + ah3.x * bh3;
    lo5 += ah0.y * bl0 + ah1.y * bl1 + ah2.y * bl2 + ah3.y * bl3;
    hi5 += ah0.y * bh0 + ah1.y * bh1 + ah2.y * bh2 + ah3.y * bh3;
    lo6 += ah0.z * bl0 + ah1.z * bl1 + ah2.z * bl2 + ah3.z * bl3;
    hi6 += ah0.z * bh0 + ah1.z * bh1 + ah2.z * bh2 + ah3.z * bh3;
    lo7 += ah0.w * bl0 + ah1.w * bl1 + ah2.w * bl2 + ah3.w * bl3;
    hi7 += ah0.w * bh0 + ah1.w * bh1 + ah2.w * bh2 + ah3.w * bh3;
    ka += 4u * a_step;
    kb += 4u * b_step;
  }
  for (var k = K4; k < K; k++) {
    let al = vec4<f32>(a[ra0 + ka], a[ra1 + ka], a[ra2 + ka], a[ra3 + ka]);
    let ah = vec4<f32>(a[ra4 + ka], a[ra5 + ka], a[ra6 + ka], a[ra7 + ka]);
    let bl = vec4<f32>(b[cb0 + kb], b[cb1 + kb], b[cb2 + kb], b[cb3 + kb]);
    let bh = vec4<f32>(b[cb4 + kb], b[cb5 + kb], b[cb6 + kb], b[cb7 + kb]);
    lo0 += al.x * bl;
    hi0 += al.x * bh;
    lo1 += al.y * bl;
    hi1 += al.y * bh;
    lo2 += al.z * bl;
    hi2 += al.z * bh;
    lo3 += al.w * bl;
    hi3 += al.w * bh;
    lo4 += ah.x * bl;
    hi4 += ah.x * bh;
    lo5 += ah.y * bl;
    hi5 += ah.y * bh;
    lo6 += ah.z * bl;
    hi6 += ah.z * bh;
    lo7 += ah.w * bl;
    hi7 += ah.w * bh;
    ka += a_step;
    kb += b_step;
  }
  store_row8(m0 + 0u, n0, lo0, hi0);
  store_row8(m0 + 1u, n0, lo1, hi1);
  store_row8(m0 + 2u, n0, lo2, hi2);
  store_row8(m0 + 3u, n0, lo3, hi3);
  store_row8(m0 + 4u, n0, lo4, hi4);
  store_row8(m0 + 5u, n0, lo5, hi5);
  store_row8(m0 + 6u, n0, lo6, hi6);
  store_row8(m0 + 7u, n0, lo7, hi7);
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let tm0 = wid.y * TILE;
  let tn0 = wid.x * TILE;
  let li = lid.y * 16u + lid.x;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < params.K; k0 += TILE_K) {
    // 256 invocations stage 1024 elements of each operand, 4 each; zeros outside the matrices.
    for (var r = 0u; r < 4u; r++) {
      let idx = li + 256u * r;
      let kk = idx / TILE;
      let mn = idx % TILE;
      let k = k0 + kk;
      let m = tm0 + mn;
      let n = tn0 + mn;
      var va = 0.0;
      if (m < params.M && k < params.K) {
        va = load_a(m, k);
      }
      var vb = 0.0;
      if (n < params.N && k < params.K) {
        vb = load_b(k, n);
      }
      tile_a[idx] = va;
      tile_b[idx] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let ab = kk * TILE + lid.y * 4u;
      let bb = kk * TILE + lid.x * 4u;
      let av = vec4<f32>(tile_a[ab], tile_a[ab + 1u], tile_a[ab + 2u], tile_a[ab + 3u]);
      let bv = vec4<f32>(tile_b[bb], tile_b[bb + 1u], tile_b[bb + 2u], tile_b[bb + 3u]);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let m0 = tm0 + lid.y * 4u;
  let n0 = tn0 + lid.x * 4u;
  if (n0 < params.N) {
    store_row(m0, n0, acc0);
    store_row(m0 + 1u, n0, acc1);
    store_row(m0 + 2u, n0, acc2);
    store_row(m0 + 3u, n0, acc3);
  }
}

// db (N) += Σ_m dy (M, N): one invocation per column, a gather-reduce (WGSL has no float atomics).
@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul_bias_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= bias_params.N) {
    return;
  }
  var sum = 0.0;
  for (var m = 0u; m < bias_params.M; m++) {
    sum += dy[m * bias_params.N + n];
  }
  dbias[n] += sum;
}

// The bias gradient in two passes, which the model uses: matmul_bias_backward above (kept as the
// reference the tests compare with) runs one invocation per column over every row, and an H100 spent
// 4.6 of a 31 ms training step there; these split the rows into chunks of BIAS_CHUNK. matmul_bias_partial: partials (chunks, N) = Σ over each chunk's rows of dy (M, N);
// matmul_bias_finish: db (N) += Σ_chunk partials, chunks in order (deterministic, no atomics).
const BIAS_CHUNK: u32 = 64u;
@group(0) @binding(1) var<storage, read_write> bias_partials: array<f32>;
@group(0) @binding(0) var<storage, read> bias_partials_in: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul_bias_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  let N = bias_params.N;
  let chunks = (bias_params.M + BIAS_CHUNK - 1u) / BIAS_CHUNK;
  if (i >= chunks * N) {
    return;
  }
  let n = i % N;
  let c = i / N;
  let m_end = min((c + 1u) * BIAS_CHUNK, bias_params.M);
  var sum = 0.0;
  for (var m = c * BIAS_CHUNK; m < m_end; m++) {
    sum += dy[m * N + n];
  }
  bias_partials[i] = sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul_bias_finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  let N = bias_params.N;
  if (n >= N) {
    return;
  }
  let chunks = (bias_params.M + BIAS_CHUNK - 1u) / BIAS_CHUNK;
  var sum = 0.0;
  for (var c = 0u; c < chunks; c++) {
    sum += bias_partials_in[c * N + n];
  }
  dbias[n] += sum;
}
