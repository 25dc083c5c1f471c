// Kernel tier smoke test: the first WGSL kernel (residual add) against a plain JS reference, on
// SwiftShader in Node. Ragged length so the bounds check in the shader is exercised.
import { describe, expect, it } from 'vitest';
import { acquireNodeGpu } from './node-gpu';
import { shaderSource } from './shaders';

describe('elementwise.wgsl add_forward', () => {
  it('matches a JS reference on a ragged length', async () => {
    const { device, info } = await acquireNodeGpu();
    expect(info.label.length).toBeGreaterThan(0);
    const n = 1000 + 37;
    const a = new Float32Array(n).map((_, i) => Math.sin(i));
    const b = new Float32Array(n).map((_, i) => Math.cos(i * 0.7));
    const alpha = -0.5;
    const make = (data: Float32Array<ArrayBuffer>, usage: number) => {
      const buf = device.createBuffer({ size: data.byteLength, usage: usage | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, data);
      return buf;
    };
    const bufA = make(a, GPUBufferUsage.STORAGE);
    const bufB = make(b, GPUBufferUsage.STORAGE);
    const out = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const params = new ArrayBuffer(8);
    new Uint32Array(params, 0, 1)[0] = n;
    new Float32Array(params, 4, 1)[0] = alpha;
    const uni = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(uni, 0, params);
    const module = device.createShaderModule({ code: shaderSource('elementwise') });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'add_forward', constants: { WORKGROUP_SIZE: 64 } },
    });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [bufA, bufB, out, uni].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const read = device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    enc.copyBufferToBuffer(out, 0, read, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(a[i] + alpha * b[i], 6);
  });
});
