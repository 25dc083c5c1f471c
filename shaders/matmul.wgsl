// Matmul family: out (M, N) = op(a) · op(b) [+ bias (N)] [+ out], in every layout the model needs:
//   linear forward     y  = x · Wᵀ + b      TRANS_B = true   (a = x (M, K), b = W (N, K))
//   input gradient     dx = dy · W          plain            (a = dy (M, K), b = W (K, N))
//   weight gradient    dW += dyᵀ · x        TRANS_A = true   (a = dy stored (K, M), b = x (K, N)), accumulate
//   bias gradient      db += column sums of dy              (matmul_bias_backward)
// Five variants of the same product, chosen per adapter by a timed probe (matmul.ts):
//   matmul_blocked  each invocation owns a 4x4 output block in registers, no workgroup memory and no
//                   barriers (what SwiftShader runs fastest), scalar loads, any sizes;
//   matmul_vec4     the same blocking with every load and store a vec4 (4x fewer memory operations;
//                   needs M, N and K multiples of 4, the host falls back to matmul_blocked otherwise);
//   matmul_tiled    a 64x64 output tile per 16x16 workgroup, operands staged through workgroup memory
//                   in K-slices of 16 (what real GPUs reward);
//   matmul_vec8 / matmul_blocked8  the vec4 / blocked kernels with an 8x8 block (further down).
// Ragged sizes: loads clamp indices into range, stores are guarded. The bias gradient runs in two passes
// (matmul_bias_partial / matmul_bias_finish, at the end).
// A template: the unrolled lines of each block are written once between //#for and //#end and repeated
// when the shader is loaded (src/engine/webgpu/wgslTemplate.ts); the compiled code stays unrolled.

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
  //#for j in 0..3
  var acc${j} = vec4<f32>(0.0);
  //#end
  for (var k = 0u; k < params.K; k++) {
    let av = vec4<f32>(load_a(ms.x, k), load_a(ms.y, k), load_a(ms.z, k), load_a(ms.w, k));
    let bv = vec4<f32>(load_b(k, ns.x), load_b(k, ns.y), load_b(k, ns.z), load_b(k, ns.w));
    //#for j, c in x, y, z, w
    acc${j} += av.${c} * bv;
    //#end
  }
  store_row(m0, n0, acc0);
  //#for j in 1..3
  store_row(m0 + ${j}u, n0, acc${j});
  //#end
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
  //#for j in 0..3
  var acc${j} = vec4<f32>(0.0);
  //#end
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
      //#for j, c in x, y, z, w
      acc${j} += a0.${c} * b0 + a1.${c} * b1 + a2.${c} * b2 + a3.${c} * b3;
      //#end
    }
  } else if (TRANS_B) {
    // a (M, K), b stored (N, K): four k per load, dot products across them.
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = a4[m0 * K4 + k4];
      //#for j in 1..3
      let a${j} = a4[(m0 + ${j}u) * K4 + k4];
      //#end
      let b0 = b4[n0 * K4 + k4];
      //#for j in 1..3
      let b${j} = b4[(n0 + ${j}u) * K4 + k4];
      //#end
      //#for j in 0..3
      acc${j} += vec4<f32>(dot(a${j}, b0), dot(a${j}, b1), dot(a${j}, b2), dot(a${j}, b3));
      //#end
    }
  } else {
    // a (M, K), b (K, N): four k of each A row, four B rows of four columns.
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = a4[m0 * K4 + k4];
      //#for j in 1..3
      let a${j} = a4[(m0 + ${j}u) * K4 + k4];
      //#end
      let kb = k4 * 4u * N4 + n0 / 4u;
      let b0 = b4[kb];
      let b1 = b4[kb + N4];
      let b2 = b4[kb + 2u * N4];
      let b3 = b4[kb + 3u * N4];
      //#for j in 0..3
      acc${j} += a${j}.x * b0 + a${j}.y * b1 + a${j}.z * b2 + a${j}.w * b3;
      //#end
    }
  }
  store_vec4(m0, n0, acc0);
  //#for j in 1..3
  store_vec4(m0 + ${j}u, n0, acc${j});
  //#end
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
  //#for j in 0..7
  var lo${j} = vec4<f32>(0.0);
  var hi${j} = vec4<f32>(0.0);
  //#end
  if (TRANS_A) {
    // a stored (K, M), b (K, N): per k an 8-wide segment of each and their outer product; four k per
    // trip with running indices.
    var ia_lo = m0 / 4u;
    var ia_hi = min(m0 + 4u, M - 4u) / 4u;
    var ib_lo = n0 / 4u;
    var ib_hi = n_hi / 4u;
    for (var k = 0u; k < K; k += 4u) {
      //#for j in 0..3
      let al${j} = a4[ia_lo + ${j}u * M4];
      let ah${j} = a4[ia_hi + ${j}u * M4];
      let bl${j} = b4[ib_lo + ${j}u * N4];
      let bh${j} = b4[ib_hi + ${j}u * N4];
      //#end
      //#for j, c in x, y, z, w
      lo${j} += al0.${c} * bl0 + al1.${c} * bl1 + al2.${c} * bl2 + al3.${c} * bl3;
      hi${j} += al0.${c} * bh0 + al1.${c} * bh1 + al2.${c} * bh2 + al3.${c} * bh3;
      //#end
      //#for j, c in x, y, z, w
      lo${j + 4} += ah0.${c} * bl0 + ah1.${c} * bl1 + ah2.${c} * bl2 + ah3.${c} * bl3;
      hi${j + 4} += ah0.${c} * bh0 + ah1.${c} * bh1 + ah2.${c} * bh2 + ah3.${c} * bh3;
      //#end
      ia_lo += 4u * M4;
      ia_hi += 4u * M4;
      ib_lo += 4u * N4;
      ib_hi += 4u * N4;
    }
  } else {
    // Start of each A row (clamped into the matrix), in vec4s.
    //#for j in 0..7
    let ra${j} = min(m0 + ${j}u, M - 1u) * K4;
    //#end
    if (TRANS_B) {
      // a (M, K), b stored (N, K): four k per load, dot products across them.
      //#for j in 0..7
      let rb${j} = min(n0 + ${j}u, N - 1u) * K4;
      //#end
      for (var k4 = 0u; k4 < K4; k4++) {
        //#for j in 0..7
        let br${j} = b4[rb${j} + k4];
        //#end
        //#for j in 0..7
        let ar${j} = a4[ra${j} + k4];
        lo${j} += vec4<f32>(dot(ar${j}, br0), dot(ar${j}, br1), dot(ar${j}, br2), dot(ar${j}, br3));
        hi${j} += vec4<f32>(dot(ar${j}, br4), dot(ar${j}, br5), dot(ar${j}, br6), dot(ar${j}, br7));
        //#end
      }
    } else {
      // a (M, K), b (K, N): four k of each A row, four B rows of eight columns.
      for (var k4 = 0u; k4 < K4; k4++) {
        let kb = k4 * 4u * N4;
        //#for j in 0..3
        let bl${j} = b4[kb + ${j}u * N4 + n0 / 4u];
        let bh${j} = b4[kb + ${j}u * N4 + n_hi / 4u];
        //#end
        //#for j in 0..7
        let ar${j} = a4[ra${j} + k4];
        lo${j} += ar${j}.x * bl0 + ar${j}.y * bl1 + ar${j}.z * bl2 + ar${j}.w * bl3;
        hi${j} += ar${j}.x * bh0 + ar${j}.y * bh1 + ar${j}.z * bh2 + ar${j}.w * bh3;
        //#end
      }
    }
  }
  //#for j in 0..7
  store_vec8(m0 + ${j}u, n0, lo${j}, hi${j});
  //#end
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
  //#for j in 0..7
  let ra${j} = min(m0 + ${j}u, M - 1u) * a_row;
  //#end
  //#for j in 0..7
  let cb${j} = min(n0 + ${j}u, N - 1u) * b_col;
  //#end
  //#for j in 0..7
  var lo${j} = vec4<f32>(0.0);
  var hi${j} = vec4<f32>(0.0);
  //#end
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
    //#for j in 2..3
    let oa${j} = ka + ${j}u * a_step;
    let ob${j} = kb + ${j}u * b_step;
    let al${j} = vec4<f32>(a[ra0 + oa${j}], a[ra1 + oa${j}], a[ra2 + oa${j}], a[ra3 + oa${j}]);
    let ah${j} = vec4<f32>(a[ra4 + oa${j}], a[ra5 + oa${j}], a[ra6 + oa${j}], a[ra7 + oa${j}]);
    let bl${j} = vec4<f32>(b[cb0 + ob${j}], b[cb1 + ob${j}], b[cb2 + ob${j}], b[cb3 + ob${j}]);
    let bh${j} = vec4<f32>(b[cb4 + ob${j}], b[cb5 + ob${j}], b[cb6 + ob${j}], b[cb7 + ob${j}]);
    //#end
    //#for j, c in x, y, z, w
    lo${j} += al0.${c} * bl0 + al1.${c} * bl1 + al2.${c} * bl2 + al3.${c} * bl3;
    hi${j} += al0.${c} * bh0 + al1.${c} * bh1 + al2.${c} * bh2 + al3.${c} * bh3;
    //#end
    //#for j, c in x, y, z, w
    lo${j + 4} += ah0.${c} * bl0 + ah1.${c} * bl1 + ah2.${c} * bl2 + ah3.${c} * bl3;
    hi${j + 4} += ah0.${c} * bh0 + ah1.${c} * bh1 + ah2.${c} * bh2 + ah3.${c} * bh3;
    //#end
    ka += 4u * a_step;
    kb += 4u * b_step;
  }
  for (var k = K4; k < K; k++) {
    let al = vec4<f32>(a[ra0 + ka], a[ra1 + ka], a[ra2 + ka], a[ra3 + ka]);
    let ah = vec4<f32>(a[ra4 + ka], a[ra5 + ka], a[ra6 + ka], a[ra7 + ka]);
    let bl = vec4<f32>(b[cb0 + kb], b[cb1 + kb], b[cb2 + kb], b[cb3 + kb]);
    let bh = vec4<f32>(b[cb4 + kb], b[cb5 + kb], b[cb6 + kb], b[cb7 + kb]);
    //#for j, c in x, y, z, w
    lo${j} += al.${c} * bl;
    hi${j} += al.${c} * bh;
    //#end
    //#for j, c in x, y, z, w
    lo${j + 4} += ah.${c} * bl;
    hi${j + 4} += ah.${c} * bh;
    //#end
    ka += a_step;
    kb += b_step;
  }
  //#for j in 0..7
  store_row8(m0 + ${j}u, n0, lo${j}, hi${j});
  //#end
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let tm0 = wid.y * TILE;
  let tn0 = wid.x * TILE;
  let li = lid.y * 16u + lid.x;
  //#for j in 0..3
  var acc${j} = vec4<f32>(0.0);
  //#end
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
      //#for j, c in x, y, z, w
      acc${j} += av.${c} * bv;
      //#end
    }
    workgroupBarrier();
  }
  let m0 = tm0 + lid.y * 4u;
  let n0 = tn0 + lid.x * 4u;
  if (n0 < params.N) {
    store_row(m0, n0, acc0);
    //#for j in 1..3
    store_row(m0 + ${j}u, n0, acc${j});
    //#end
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
