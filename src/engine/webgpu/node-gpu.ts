// Node host for WebGPU: loads Dawn's `webgpu` package, points it at SwiftShader when no GPU driver is
// configured, and registers a file-system shader loader. Never imported by browser code.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireGpu, type GpuContext } from './device';
import { registerShaderLoader } from './shaders';

/** Debian's chromium ships SwiftShader, a CPU Vulkan driver Dawn accepts (Mesa's lavapipe is rejected). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The repository's shaders/; LAB_SHADERS_DIR for a bundled copy (scripts/device-bundle.sh), whose
 * import.meta.url no longer sits in src/engine/webgpu. */
const shadersDir =
  process.env.LAB_SHADERS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shaders');

let gpuPromise: Promise<GPU> | undefined;

/**
 * Returns Dawn's GPU object. Unless LAB_NATIVE_GPU=1 or VK_ICD_FILENAMES is already set, SwiftShader is
 * selected, because the Vulkan loader reads the variable once, when Dawn first creates its instance.
 */
export function nodeGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    prepareVulkanEnv();
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    registerShaderLoader((name) => readFileSync(join(shadersDir, `${name}.wgsl`), 'utf8'));
    return create([]) as GPU;
  })();
  return gpuPromise;
}

/**
 * Sets the variables the Vulkan loader reads (SwiftShader unless LAB_NATIVE_GPU=1 or VK_ICD_FILENAMES is
 * set; a runtime dir). Call it on the main thread before starting worker threads that open a GPU: a
 * worker's process.env is its own copy, which the loader, reading the real environment, never sees.
 */
export function prepareVulkanEnv(): void {
  if (!process.env.VK_ICD_FILENAMES && process.env.LAB_NATIVE_GPU !== '1' && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // The Vulkan loader complains on every start when XDG_RUNTIME_DIR is unset (CI, root shells).
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'lab-xdg-'));
}

/** A GPU context in Node, or a WebGpuUnavailableError explaining what is missing. */
export async function acquireNodeGpu(): Promise<GpuContext> {
  return acquireGpu(await nodeGpu(), 'spurious-rewards-lab-node');
}
