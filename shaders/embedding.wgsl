// Token embedding: forward gathers rows of the table; backward is a gather-reduce per vocab row
// (WGSL has no float atomics): the host sorts token positions by id (CSR: offsets (V+1), rows (N)),
// and one invocation per (vocab row, channel) sums the output gradients of that token's positions.

struct Params { N: u32, V: u32, C: u32 }

// embedding_forward
@group(0) @binding(0) var<storage, read> tokens: array<i32>;     // (N)
@group(0) @binding(1) var<storage, read> table: array<f32>;      // (V, C)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (N, C)
@group(0) @binding(3) var<uniform> params: Params;

// embedding_backward
@group(0) @binding(0) var<storage, read> offsets: array<u32>;       // (V + 1) start of each id's rows
@group(0) @binding(1) var<storage, read> rows: array<u32>;          // (N) positions sorted by token id
@group(0) @binding(2) var<storage, read> dout: array<f32>;          // (N, C)
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;  // (V, C), accumulated
@group(0) @binding(4) var<uniform> bparams: Params;

override WORKGROUP_SIZE: u32 = 64;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.N * params.C) { return; }
  let n = i / params.C;
  let c = i % params.C;
  // The host validates ids; the clamp only keeps a bad id from reading outside the table.
  let token = u32(clamp(tokens[n], 0, i32(params.V) - 1));
  out[i] = table[token * params.C + c];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn embedding_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= bparams.V * bparams.C) { return; }
  let v = i / bparams.C;
  let c = i % bparams.C;
  var sum = 0.0;
  for (var r = offsets[v]; r < offsets[v + 1u]; r++) {
    sum += dout[rows[r] * bparams.C + c];
  }
  dtable[i] += sum;
}
