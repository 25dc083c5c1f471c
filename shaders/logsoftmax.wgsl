// Log-softmax at a temperature with target gather and entropy, over next-token logits, aligned with
// backend.ts's TokenBatch convention: position p = (b, t) with t >= 1 is predicted by logits row p - 1,
// so logprobs[b, t] = log softmax(logits[b, t-1] / tau)[tokens[b, t]]. Positions with t = 0 or
// mask = 0 get 0. One invocation per position / logits row, streaming over V (the vocabularies here
// are small character sets; a large vocabulary would want a workgroup per row).
//   entropy = logsumexp(z) - Σ p z,  z = logits / tau
// Backward writes dlogits for every row (zeros where the row's upstream gradients are both 0):
//   dz_v = gLp (onehot_v - p_v) - gEnt p_v (z_v - Σ p z),   dlogits = dz / tau.

struct Params { N: u32, T: u32, V: u32, inv_temp: f32 }

// logsoftmax_forward
@group(0) @binding(0) var<storage, read> logits: array<f32>;      // (N, V), N = B*T
@group(0) @binding(1) var<storage, read> tokens: array<i32>;      // (N)
@group(0) @binding(2) var<storage, read> mask: array<f32>;        // (N)
@group(0) @binding(3) var<storage, read_write> logprobs: array<f32>; // (N)
@group(0) @binding(4) var<storage, read_write> entropy: array<f32>;  // (N)
@group(0) @binding(5) var<uniform> params: Params;

// logsoftmax_backward: upstream gradients per position, used as given (the caller zeroes positions
// outside the mask, and a fractional mask weight is already part of them)
@group(0) @binding(2) var<storage, read> dlogprobs: array<f32>;   // (N)
@group(0) @binding(3) var<storage, read> dentropy: array<f32>;    // (N)
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>; // (N, V)
@group(0) @binding(5) var<uniform> bparams: Params;

override WORKGROUP_SIZE: u32 = 64;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

struct RowStats { max: f32, log_sum: f32, mean_zc: f32 }

// max of z, log Σ e^(z - max), Σ p (z - max) for logits row r.
fn row_stats(r: u32, V: u32, inv_temp: f32) -> RowStats {
  let row = r * V;
  var mx = -3.0e38;
  for (var v = 0u; v < V; v++) {
    mx = max(mx, logits[row + v] * inv_temp);
  }
  var sum = 0.0;
  var weighted = 0.0;
  for (var v = 0u; v < V; v++) {
    let zc = logits[row + v] * inv_temp - mx;
    let e = exp(zc);
    sum += e;
    weighted += e * zc;
  }
  return RowStats(mx, log(sum), weighted / sum);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn logsoftmax_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = flat_index(gid, nwg);
  if (p >= params.N) { return; }
  if (p % params.T == 0u || mask[p] == 0.0) {
    logprobs[p] = 0.0;
    entropy[p] = 0.0;
    return;
  }
  let r = p - 1u;
  let s = row_stats(r, params.V, params.inv_temp);
  let target_id = u32(clamp(tokens[p], 0, i32(params.V) - 1));
  logprobs[p] = logits[r * params.V + target_id] * params.inv_temp - s.max - s.log_sum;
  entropy[p] = s.log_sum - s.mean_zc;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn logsoftmax_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= bparams.N) { return; }
  let V = bparams.V;
  let row = r * V;
  let p = r + 1u;
  var g_lp = 0.0;
  var g_ent = 0.0;
  if (p % bparams.T != 0u) {
    g_lp = dlogprobs[p];
    g_ent = dentropy[p];
  }
  if (g_lp == 0.0 && g_ent == 0.0) {
    for (var v = 0u; v < V; v++) {
      dlogits[row + v] = 0.0;
    }
    return;
  }
  let s = row_stats(r, V, bparams.inv_temp);
  let target_id = u32(clamp(tokens[p], 0, i32(V) - 1));
  for (var v = 0u; v < V; v++) {
    let zc = logits[row + v] * bparams.inv_temp - s.max;
    let prob = exp(zc - s.log_sum);
    var dz = -g_lp * prob - g_ent * prob * (zc - s.mean_zc);
    if (v == target_id) {
      dz += g_lp;
    }
    dlogits[row + v] = dz * bparams.inv_temp;
  }
}
