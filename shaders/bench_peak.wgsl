// Benchmark only (scripts/bench.ts): the adapter's arithmetic ceiling. Each invocation runs
// independent chains of vec4 multiply-adds in registers, with no memory traffic except one store, so
// GFLOP/s here bound what any kernel of the engine can reach on this adapter.

@group(0) @binding(0) var<storage, read_write> sink: array<vec4<f32>>;

override WORKGROUP_SIZE: u32 = 64;
override ITERATIONS: u32 = 512;

@compute @workgroup_size(WORKGROUP_SIZE)
fn peak_fma(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = vec4<f32>(0.999);
  let k = vec4<f32>(0.001);
  var a = vec4<f32>(f32(gid.x));
  var b = a + 1.0;
  var c = a + 2.0;
  var d = a + 3.0;
  for (var i = 0u; i < ITERATIONS; i++) {
    a = a * m + k;
    b = b * m + k;
    c = c * m + k;
    d = d * m + k;
  }
  // Stored so the compiler cannot drop the loop.
  sink[gid.x] = a + b + c + d;
}
