// The GRPO / PPO policy loss of one micro-batch: per-token loss, its gradients with respect to the new
// log-probs and the entropies (fed to the log-softmax backward), per-token clip flags, and the sums of
// PolicyLossStats (src/engine/backend.ts). With R = exp(clamp(new - old, +-log_ratio_clamp)):
//   clip mode:  pg = -min(R*A, clip(R, 1-eps_low, 1+eps_high)*A)     none mode:  pg = -R*A
//   dual clip (clip mode, c > 1, A < 0 only): pg = min(pg, -c*A); none mode clips nothing at all
//   loss_t = pg + kl_coef * KL_t - entropy_coef * entropy_t,  KL_t = new - ref (k1) or
//            exp(ref - new) - (ref - new) - 1 (k3)
// and the micro-batch loss is sum_t w_t * loss_t over masked tokens, with the aggregation weight
//   seq-mean-token-mean:      w = 1 / (tokens in the sequence * mini-batch sequences)
//   token-mean:               w = 1 / mini-batch tokens
//   seq-mean-token-sum-norm:  w = 1 / (max_length_norm * mini-batch sequences)
// Clip flags (clip mode only, where a bound can bind): low = R < 1-eps_low and A < 0, high =
// R > 1+eps_high and A > 0. Same conventions as the CPU twin, src/engine/cpu/policyLoss.ts.
//
// Shapes: new_logprobs, entropy, d_new_logprobs, d_entropy (B, T); token_in (B, T) vec4(old, ref, mask,
// unused); advantages (B); token_out (B, T) vec4(loss_t, R, flags = low + 2*high, w); seq_stats (B, 10);
// stats (10). The loss is cheap next to the model, so one invocation walks one sequence: that gives
// the per-sequence token count without a second pass and keeps the sums deterministic.

struct Params {
  B: u32,
  T: u32,
  clip_mode: u32,      // 0 none, 1 clip
  eps_low: f32,
  eps_high: f32,
  dual_clip: f32,      // c > 1, or 0 when disabled
  log_ratio_clamp: f32,
  kl_coef: f32,
  kl_estimator: u32,   // 1 k1, 3 k3
  entropy_coef: f32,
  aggregation: u32,    // 0 seq-mean-token-mean, 1 token-mean, 2 seq-mean-token-sum-norm
  max_length_norm: f32,
  mini_batch_sequences: f32,
  mini_batch_tokens: f32,
}

struct ReduceParams {
  B: u32,
}

@group(0) @binding(0) var<storage, read> new_logprobs: array<f32>;
@group(0) @binding(1) var<storage, read> entropy: array<f32>;
@group(0) @binding(2) var<storage, read> token_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> advantages: array<f32>;
@group(0) @binding(4) var<storage, read_write> d_new_logprobs: array<f32>;
@group(0) @binding(5) var<storage, read_write> d_entropy: array<f32>;
@group(0) @binding(6) var<storage, read_write> token_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> seq_stats: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;
// grpo_loss_reduce
@group(0) @binding(0) var<storage, read> seq_stats_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<uniform> reduce_params: ReduceParams;

override WORKGROUP_SIZE: u32 = 64;
override REDUCE_SIZE: u32 = 64;

const STATS: u32 = 10u;
// seq_stats / stats fields
const S_LOSS: u32 = 0u;
const S_TOKENS: u32 = 1u;
const S_RATIO_SUM: u32 = 2u;
const S_RATIO_MIN: u32 = 3u;
const S_RATIO_MAX: u32 = 4u;
const S_CLIPPED_LOW: u32 = 5u;
const S_CLIPPED_HIGH: u32 = 6u;
const S_APPROX_KL: u32 = 7u;
const S_REF_KL: u32 = 8u;
const S_ENTROPY: u32 = 9u;
const BIG: f32 = 3.0e38; // min/max identity; the host maps it to +-Infinity when there are no tokens

struct PolicyTerm {
  loss: f32,   // pg + KL term (without entropy)
  d_new: f32,  // d loss / d new log-prob
}

// The clipped (or plain) surrogate with its derivative; A is the sequence's advantage.
fn surrogate(ratio: f32, d_ratio: f32, A: f32) -> PolicyTerm {
  let unclipped = -ratio * A;
  var term = PolicyTerm(unclipped, -A * d_ratio);
  if (params.clip_mode == 1u) {
    let clipped = -clamp(ratio, 1.0 - params.eps_low, 1.0 + params.eps_high) * A;
    // max(-R*A, -clip(R)*A); the clipped branch only wins strictly outside the bounds, where it is flat.
    if (clipped > unclipped) { term = PolicyTerm(clipped, 0.0); }
    if (params.dual_clip > 0.0 && A < 0.0) {
      let cap = -params.dual_clip * A;
      if (cap < term.loss) { term = PolicyTerm(cap, 0.0); }
    }
  }
  return term;
}

// KL(new || ref) estimate and its derivative in the new log-prob.
fn reference_kl(new_lp: f32, ref_lp: f32) -> vec2<f32> {
  if (params.kl_estimator == 3u) {
    let x = ref_lp - new_lp;
    let e = exp(x);
    return vec2<f32>(e - x - 1.0, 1.0 - e);
  }
  return vec2<f32>(new_lp - ref_lp, 1.0);
}

// One invocation per sequence b.
@compute @workgroup_size(WORKGROUP_SIZE)
fn grpo_loss_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  let row = b * params.T;
  var count = 0.0;
  for (var t = 0u; t < params.T; t++) {
    if (token_in[row + t].z != 0.0) { count += 1.0; }
  }
  var w = 0.0;
  if (params.aggregation == 0u) {
    w = select(0.0, 1.0 / (count * params.mini_batch_sequences), count > 0.0);
  } else if (params.aggregation == 1u) {
    w = 1.0 / params.mini_batch_tokens;
  } else {
    w = 1.0 / (params.max_length_norm * params.mini_batch_sequences);
  }
  let A = advantages[b];
  var s: array<f32, STATS>;
  for (var j = 0u; j < STATS; j++) { s[j] = 0.0; }
  s[S_RATIO_MIN] = BIG;
  s[S_RATIO_MAX] = -BIG;
  for (var t = 0u; t < params.T; t++) {
    let i = row + t;
    let tin = token_in[i];
    if (tin.z == 0.0) {
      d_new_logprobs[i] = 0.0;
      d_entropy[i] = 0.0;
      token_out[i] = vec4<f32>(0.0);
      continue;
    }
    let new_lp = new_logprobs[i];
    let old_lp = tin.x;
    let diff = new_lp - old_lp;
    let c = params.log_ratio_clamp;
    let ratio = exp(clamp(diff, -c, c));
    // The clamp passes the gradient inside [-c, c] (bounds included, as torch.clamp does).
    let d_ratio = select(0.0, ratio, diff >= -c && diff <= c);
    let pg = surrogate(ratio, d_ratio, A);
    var loss = pg.loss;
    var d_new = pg.d_new;
    if (params.kl_coef > 0.0) {
      let kl = reference_kl(new_lp, tin.y);
      loss += params.kl_coef * kl.x;
      d_new += params.kl_coef * kl.y;
      s[S_REF_KL] += kl.x;
    }
    let ent = entropy[i];
    loss -= params.entropy_coef * ent;
    let clip = params.clip_mode == 1u;
    let low = clip && ratio < 1.0 - params.eps_low && A < 0.0;
    let high = clip && ratio > 1.0 + params.eps_high && A > 0.0;
    d_new_logprobs[i] = w * d_new;
    d_entropy[i] = -w * params.entropy_coef;
    token_out[i] = vec4<f32>(loss, ratio, select(0.0, 1.0, low) + select(0.0, 2.0, high), w);
    s[S_LOSS] += w * loss;
    s[S_TOKENS] += 1.0;
    s[S_RATIO_SUM] += ratio;
    s[S_RATIO_MIN] = min(s[S_RATIO_MIN], ratio);
    s[S_RATIO_MAX] = max(s[S_RATIO_MAX], ratio);
    s[S_CLIPPED_LOW] += select(0.0, 1.0, low);
    s[S_CLIPPED_HIGH] += select(0.0, 1.0, high);
    s[S_APPROX_KL] += old_lp - new_lp;
    s[S_ENTROPY] += ent;
  }
  for (var j = 0u; j < STATS; j++) { seq_stats[b * STATS + j] = s[j]; }
}

var<workgroup> partial: array<array<f32, STATS>, REDUCE_SIZE>;

fn combine(j: u32, a: f32, b: f32) -> f32 {
  if (j == S_RATIO_MIN) { return min(a, b); }
  if (j == S_RATIO_MAX) { return max(a, b); }
  return a + b;
}

// One workgroup folds the (B, 10) per-sequence sums into the 10 micro-batch stats.
@compute @workgroup_size(REDUCE_SIZE)
fn grpo_loss_reduce(@builtin(local_invocation_id) lid: vec3<u32>) {
  let x = lid.x;
  var s: array<f32, STATS>;
  for (var j = 0u; j < STATS; j++) { s[j] = 0.0; }
  s[S_RATIO_MIN] = BIG;
  s[S_RATIO_MAX] = -BIG;
  for (var b = x; b < reduce_params.B; b += REDUCE_SIZE) {
    for (var j = 0u; j < STATS; j++) { s[j] = combine(j, s[j], seq_stats_in[b * STATS + j]); }
  }
  partial[x] = s;
  workgroupBarrier();
  for (var stride = REDUCE_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (x < stride) {
      for (var j = 0u; j < STATS; j++) { partial[x][j] = combine(j, partial[x][j], partial[x + stride][j]); }
    }
    workgroupBarrier();
  }
  if (x == 0u) {
    for (var j = 0u; j < STATS; j++) { stats[j] = partial[0][j]; }
  }
}
