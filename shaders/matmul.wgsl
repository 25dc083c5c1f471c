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
//                   in K-slices of 16 (what real GPUs reward).
// Ragged sizes: loads clamp indices into range, stores are guarded.

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
