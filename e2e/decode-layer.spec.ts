// e2e: the fused decode layer (shaders/decode_layer.wgsl) compiles in Chromium's WebGPU. The page runs it
// only on hardware adapters (on SwiftShader the 12 separate kernels are faster), so no run of this suite
// reaches it through the page; the kernel tier checks its results under Node's Dawn (the `webgpu`
// package), a different build of the WGSL compiler than Chromium's. This catches a shader that one build
// takes and the other refuses: the module's compilation messages and pipeline creation, with the
// constants of three model shapes the engine uses it for (the zoo model, the tests' tiny model, an untied
// GQA 6/3 model with head dim 4). Here both go through Vulkan/SPIR-V (SwiftShader); the Metal and D3D12
// backends compile it only on users' machines, where a refusal falls back to the 12 kernels.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expandWgsl } from '../src/engine/webgpu/wgslTemplate';

/** decodeLayerKernel(shape).constants for each shape (src/engine/webgpu/decodeLayer.ts). */
const SHAPES = {
  zoo: { WORKGROUP_SIZE: 64, C: 64, H: 4, KVH: 2, HEAD_DIM: 16, I: 172 },
  tiny: { WORKGROUP_SIZE: 64, C: 32, H: 4, KVH: 2, HEAD_DIM: 8, I: 40 },
  untied: { WORKGROUP_SIZE: 64, C: 24, H: 6, KVH: 3, HEAD_DIM: 4, I: 24 },
};

test('decode_layer.wgsl compiles and makes pipelines in Chromium for the shapes the engine uses', async ({
  page,
}) => {
  const code = expandWgsl(readFileSync('shaders/decode_layer.wgsl', 'utf8'), 'decode_layer');
  await page.goto('./');
  const results = await page.evaluate(
    async ({ code, shapes }) => {
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return { error: 'no adapter' };
      const device = await adapter.requestDevice();
      const module = device.createShaderModule({ code, label: 'decode_layer' });
      const info = await module.getCompilationInfo();
      const messages = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
      const pipelines: Record<string, string> = {};
      for (const [name, constants] of Object.entries(shapes)) {
        try {
          await device.createComputePipelineAsync({
            layout: 'auto',
            compute: { module, entryPoint: 'decode_layer', constants },
          });
          pipelines[name] = 'ok';
        } catch (err) {
          pipelines[name] = String(err);
        }
      }
      device.destroy();
      return { messages, pipelines };
    },
    { code, shapes: SHAPES },
  );
  expect(results).toEqual({ messages: [], pipelines: { zoo: 'ok', tiny: 'ok', untied: 'ok' } });
});
