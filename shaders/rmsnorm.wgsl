// RMSNorm (Qwen2RMSNorm, fp32): out = weight * x * rstd, rstd = 1 / sqrt(mean(x²) + eps).
// One invocation per row (no workgroup reductions: rows are short, and SwiftShader punishes barriers);
// the weight gradient is a gather-reduce with one invocation per channel, or in two passes over 64-row
// chunks (the _partial / _finish kernels at the end, what the model uses).

struct Params { N: u32, C: u32, eps: f32, accumulate: u32 }

// rmsnorm_forward
@group(0) @binding(0) var<storage, read> inp: array<f32>;       // (N, C)
@group(0) @binding(1) var<storage, read> weight: array<f32>;    // (C)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (N, C)
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>; // (N)
@group(0) @binding(4) var<uniform> params: Params;

// rmsnorm_backward: dinp (=, or += when accumulate) from dout
@group(0) @binding(2) var<storage, read> dout: array<f32>;        // (N, C)
@group(0) @binding(3) var<storage, read> rstd_in: array<f32>;     // (N)
@group(0) @binding(4) var<storage, read_write> dinp: array<f32>;  // (N, C)
@group(0) @binding(5) var<uniform> bparams: Params;

// rmsnorm_backward_weight: dweight (C) += Σ_n dout * x * rstd
@group(0) @binding(0) var<storage, read> w_inp: array<f32>;
@group(0) @binding(1) var<storage, read> w_dout: array<f32>;
@group(0) @binding(2) var<storage, read> w_rstd: array<f32>;
@group(0) @binding(3) var<storage, read_write> dweight: array<f32>; // (C)
@group(0) @binding(4) var<uniform> wparams: Params;

override WORKGROUP_SIZE: u32 = 64;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.N) { return; }
  let row = n * params.C;
  var sq = 0.0;
  for (var c = 0u; c < params.C; c++) {
    let x = inp[row + c];
    sq += x * x;
  }
  let r = 1.0 / sqrt(sq / f32(params.C) + params.eps);
  rstd[n] = r;
  for (var c = 0u; c < params.C; c++) {
    out[row + c] = inp[row + c] * r * weight[c];
  }
}

// dx = rstd * (g - xhat * mean(g * xhat)), g = dout * weight, xhat = x * rstd.
@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= bparams.N) { return; }
  let row = n * bparams.C;
  let r = rstd_in[n];
  var dot = 0.0;
  for (var c = 0u; c < bparams.C; c++) {
    dot += dout[row + c] * weight[c] * inp[row + c] * r;
  }
  let mean_dot = dot / f32(bparams.C);
  for (var c = 0u; c < bparams.C; c++) {
    let xhat = inp[row + c] * r;
    var d = r * (dout[row + c] * weight[c] - xhat * mean_dot);
    if (bparams.accumulate != 0u) {
      d += dinp[row + c];
    }
    dinp[row + c] = d;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_weight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_index(gid, nwg);
  if (c >= wparams.C) { return; }
  var sum = 0.0;
  for (var n = 0u; n < wparams.N; n++) {
    let i = n * wparams.C + c;
    sum += w_dout[i] * w_inp[i] * w_rstd[n];
  }
  dweight[c] += sum;
}

// *_vec4: the same three kernels reading rows as vec4s, for C a multiple of 4 (the host picks them
// then): a quarter of the loop trips and loads, which is what SwiftShader pays for. Every sum adds its
// terms in the scalar kernels' order, so the results are bit-identical to them (a 4-way split sum
// moved the 10-step AdamW trajectory test off the CPU curve).
@group(0) @binding(0) var<storage, read> inp4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weight4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dout4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dinp4: array<vec4<f32>>;
@group(0) @binding(0) var<storage, read> w_inp4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w_dout4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dweight4: array<vec4<f32>>;

// s + v.x + v.y + v.z + v.w, left to right as the scalar loops add.
fn add_in_order(s: f32, v: vec4<f32>) -> f32 {
  return s + v.x + v.y + v.z + v.w;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.N) { return; }
  let C4 = params.C / 4u;
  let row = n * C4;
  var sq = 0.0;
  for (var c = 0u; c < C4; c++) {
    let x = inp4[row + c];
    sq = add_in_order(sq, x * x);
  }
  let r = 1.0 / sqrt(sq / f32(params.C) + params.eps);
  rstd[n] = r;
  for (var c = 0u; c < C4; c++) {
    out4[row + c] = inp4[row + c] * r * weight4[c];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= bparams.N) { return; }
  let C4 = bparams.C / 4u;
  let row = n * C4;
  let r = rstd_in[n];
  var dot = 0.0;
  for (var c = 0u; c < C4; c++) {
    dot = add_in_order(dot, dout4[row + c] * weight4[c] * inp4[row + c] * r);
  }
  let mean_dot = dot / f32(bparams.C);
  for (var c = 0u; c < C4; c++) {
    let xhat = inp4[row + c] * r;
    var d = r * (dout4[row + c] * weight4[c] - xhat * mean_dot);
    if (bparams.accumulate != 0u) {
      d += dinp4[row + c];
    }
    dinp4[row + c] = d;
  }
}

// One invocation per 4 channels.
@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_weight_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_index(gid, nwg);
  let C4 = wparams.C / 4u;
  if (c >= C4) { return; }
  var sum = vec4<f32>(0.0);
  for (var n = 0u; n < wparams.N; n++) {
    let i = n * C4 + c;
    sum += w_dout4[i] * w_inp4[i] * w_rstd[n];
  }
  dweight4[c] += sum;
}

// The weight gradient in two passes, which the model uses when it passes a scratch buffer: the kernels
// above run one invocation per channel (or 4 channels) over every row, and an H100 spent 4 of a 31 ms
// step there; these split the rows into chunks of NORM_CHUNK.
//   rmsnorm_backward_weight_partial(_vec4): partials (chunks, C) = Σ over each chunk's rows of
//     dout * x * rstd, bound where dweight is (each channel in row order, as above);
//   rmsnorm_backward_weight_finish: dweight (C) += Σ_chunk partials, chunks in order (deterministic).
const NORM_CHUNK: u32 = 64u;
@group(0) @binding(0) var<storage, read> w_partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> dweight_out: array<f32>;
@group(0) @binding(2) var<uniform> fparams: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_weight_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let C = wparams.C;
  let chunks = (wparams.N + NORM_CHUNK - 1u) / NORM_CHUNK;
  if (i >= chunks * C) { return; }
  let c = i % C;
  let k = i / C;
  let n_end = min((k + 1u) * NORM_CHUNK, wparams.N);
  var sum = 0.0;
  for (var n = k * NORM_CHUNK; n < n_end; n++) {
    let j = n * C + c;
    sum += w_dout[j] * w_inp[j] * w_rstd[n];
  }
  dweight[i] = sum;
}

// One invocation per (chunk, 4 channels), C a multiple of 4.
@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_weight_partial_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let C4 = wparams.C / 4u;
  let chunks = (wparams.N + NORM_CHUNK - 1u) / NORM_CHUNK;
  if (i >= chunks * C4) { return; }
  let c = i % C4;
  let k = i / C4;
  let n_end = min((k + 1u) * NORM_CHUNK, wparams.N);
  var sum = vec4<f32>(0.0);
  for (var n = k * NORM_CHUNK; n < n_end; n++) {
    let j = n * C4 + c;
    sum += w_dout4[j] * w_inp4[j] * w_rstd[n];
  }
  dweight4[i] = sum;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsnorm_backward_weight_finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_index(gid, nwg);
  let C = fparams.C;
  if (c >= C) { return; }
  let chunks = (fparams.N + NORM_CHUNK - 1u) / NORM_CHUNK;
  var sum = 0.0;
  for (var k = 0u; k < chunks; k++) {
    sum += w_partials[k * C + c];
  }
  dweight_out[c] += sum;
}
