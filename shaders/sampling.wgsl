// Token sampling for rollouts: temperature (0 = greedy, ties to the lowest id), top-k and top-p, with
// uniforms from the counter RNG of src/engine/rng.ts reimplemented here bit for bit (PCG hash, u32 math
// only), so a draw depends on (seed, stream, sequence, position) alone. The procedure is the CPU
// reference's (src/engine/cpu/sampling.ts), step for step:
//   z = logits * (1 / tau); w = exp(z - max z); rank order = larger z first, ties to the lower id;
//   top-k keeps rank < k; top-p keeps survivors whose preceding survivor mass / survivor mass < p;
//   inverse CDF in ID order over the kept ids: the first id whose running sum of w exceeds u * (kept
//   mass); reported log-prob = log(w / sum of all w) (the temperature-scaled, unfiltered softmax).
// One workgroup per row. Ranks are counted, not sorted (O(V^2 / WORKGROUP_SIZE) per row): right for the
// lab's character vocabularies and free of any bound on V; plain temperature sampling is O(V). Every
// sum whose rounding reaches the output runs in one fixed order, so tokens and log-probs are the same
// for every WORKGROUP_SIZE (which is therefore free to be tuned per adapter).
//
// Shapes: logits (N, V); rows (R) vec4(logits row, RNG sequence, RNG position, unused);
// weights (R, 2, V) scratch: [w, or -1 when filtered out; mass ranked before]; tokens (R) u32;
// logprobs (R).

struct Params {
  R: u32,
  V: u32,
  inv_temperature: f32, // 1 / tau, or 0 for greedy
  top_k: u32,           // 0 = off
  top_p: f32,           // 1 = off
  seed: u32,
  stream: u32,
}

struct KeyParams {
  N: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(4) var<storage, read_write> logprobs: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
// counter_uniform_forward
@group(0) @binding(0) var<storage, read> keys: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> hashes: array<u32>;
@group(0) @binding(2) var<storage, read_write> uniforms: array<f32>;
@group(0) @binding(3) var<uniform> key_params: KeyParams;

override WORKGROUP_SIZE: u32 = 64; // a power of two (tree reductions)

// PCG hash (Jarzynski & Olano 2020), identical to pcgHash in rng.ts.
fn pcg_hash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn counter_hash(seed: u32, stream: u32, sequence: u32, position: u32) -> u32 {
  var h = pcg_hash(seed);
  h = pcg_hash(h ^ stream);
  h = pcg_hash(h ^ sequence);
  h = pcg_hash(h ^ position);
  return h;
}

// Uniform in [0, 1) with 24 bits: exact in f32, so it equals counterUniform in TypeScript.
fn counter_uniform(seed: u32, stream: u32, sequence: u32, position: u32) -> f32 {
  return f32(counter_hash(seed, stream, sequence, position) >> 8u) / 16777216.0;
}

var<workgroup> red_value: array<f32, WORKGROUP_SIZE>;
var<workgroup> red_index: array<u32, WORKGROUP_SIZE>;
var<workgroup> all_mass_shared: f32;
var<workgroup> survivor_mass: f32;

// Does id a precede id b in rank order (larger z first, ties to the lower id)?
fn precedes(za: f32, a: u32, zb: f32, b: u32) -> bool {
  return za > zb || (za == zb && a < b);
}

// One workgroup per row r.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sample_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= params.R) { return; }
  let x = lid.x;
  let V = params.V;
  let row = rows[r];
  let base = row.x * V;
  let scratch = r * 2u * V;

  // 1. Argmax of the logits (ties to the lowest id) and max of z, per invocation then across the group.
  var best = x;
  var best_logit = logits[base + min(x, V - 1u)];
  for (var v = x + WORKGROUP_SIZE; v < V; v += WORKGROUP_SIZE) {
    let l = logits[base + v];
    if (l > best_logit) { best = v; best_logit = l; }
  }
  red_value[x] = select(-3.0e38, best_logit, x < V);
  red_index[x] = select(0xffffffffu, best, x < V);
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (x < stride) {
      let l = red_value[x + stride];
      let i = red_index[x + stride];
      if (l > red_value[x] || (l == red_value[x] && i < red_index[x])) {
        red_value[x] = l;
        red_index[x] = i;
      }
    }
    workgroupBarrier();
  }
  let argmax = red_index[0];
  workgroupBarrier();
  if (params.inv_temperature == 0.0) {
    if (x == 0u) {
      tokens[r] = argmax;
      logprobs[r] = 0.0;
    }
    return;
  }
  // max z is z of the argmax: multiplying by a positive constant keeps the order (rounding can only
  // tie, and ties share the value).
  let inv_tau = params.inv_temperature;
  let z_max = logits[base + argmax] * inv_tau;

  // 2. Unnormalised probabilities w and their full sum (the log-prob's normaliser), summed serially in
  // id order so that nothing the kernel returns depends on the workgroup size.
  for (var v = x; v < V; v += WORKGROUP_SIZE) { weights[scratch + v] = exp(logits[base + v] * inv_tau - z_max); }
  storageBarrier();
  workgroupBarrier();
  if (x == 0u) {
    var sum = 0.0;
    for (var v = 0u; v < V; v++) { sum += weights[scratch + v]; }
    all_mass_shared = sum;
  }
  workgroupBarrier();
  let all_mass = all_mass_shared;

  // 3. Filters. rank / mass-before by counting (the order is total, so ranks are a permutation).
  let filter_k = params.top_k > 0u && params.top_k < V;
  let filter_p = params.top_p < 1.0;
  if (filter_k || filter_p) {
    let survivors = select(V, params.top_k, filter_k);
    if (x == 0u) { survivor_mass = all_mass; }
    workgroupBarrier();
    for (var v = x; v < V; v += WORKGROUP_SIZE) {
      let zv = logits[base + v] * inv_tau;
      var rank = 0u;
      var before = 0.0;
      for (var j = 0u; j < V; j++) {
        if (precedes(logits[base + j] * inv_tau, j, zv, v)) {
          rank += 1u;
          before += weights[scratch + j];
        }
      }
      // -1 marks ids cut by top-k; the last survivor knows the survivors' total mass.
      weights[scratch + V + v] = select(-1.0, before, rank < survivors);
      if (filter_k && rank == survivors - 1u) { survivor_mass = before + weights[scratch + v]; }
    }
    storageBarrier();
    workgroupBarrier();
    let mass = survivor_mass;
    for (var v = x; v < V; v += WORKGROUP_SIZE) {
      let before = weights[scratch + V + v];
      let kept = before >= 0.0 && (!filter_p || before / mass < params.top_p);
      if (!kept) { weights[scratch + v] = -1.0; }
    }
    storageBarrier();
    workgroupBarrier();
  }

  // 4. Inverse CDF in id order over the kept ids, walked by one invocation (the order of the sum is
  // the CPU's, so only f32-vs-f64 rounding can separate the two at a boundary).
  if (x == 0u) {
    var kept_mass = 0.0;
    var last_kept = 0u;
    for (var v = 0u; v < V; v++) {
      let w = weights[scratch + v];
      if (w >= 0.0) { kept_mass += w; last_kept = v; }
    }
    let goal = counter_uniform(params.seed, params.stream, row.y, row.z) * kept_mass;
    var token = last_kept;
    var running = 0.0;
    for (var v = 0u; v < V; v++) {
      let w = weights[scratch + v];
      if (w >= 0.0) {
        running += w;
        if (running > goal) { token = v; break; }
      }
    }
    tokens[r] = token;
    logprobs[r] = log(exp(logits[base + token] * inv_tau - z_max) / all_mass);
  }
}

// The counter RNG for a list of keys (seed, stream, sequence, position): hashes and uniforms. Used to
// prove the WGSL hash equals rng.ts, and by anything else that needs keyed randomness on the GPU.
@compute @workgroup_size(WORKGROUP_SIZE)
fn counter_uniform_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= key_params.N) { return; }
  let key = keys[i];
  hashes[i] = counter_hash(key.x, key.y, key.z, key.w);
  uniforms[i] = counter_uniform(key.x, key.y, key.z, key.w);
}
