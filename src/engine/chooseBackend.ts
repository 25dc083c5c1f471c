// The one rule for which engine runs an experiment, used by the browser, the CLI and the tools panel:
// 'cpu' is the CPU engine; 'webgpu' is WebGPU or an error; 'auto' is WebGPU on a hardware adapter and
// the CPU engine otherwise: when there is no adapter, and when the only one is a software renderer
// (SwiftShader), whose arithmetic ceiling is below the WebAssembly CPU engine's (README, Performance).
import type { Backend } from './backend';
import { CpuBackend } from './cpu/backend';
import type { AdapterSummary, GpuContext } from './webgpu/device';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** What the rule decides for an adapter (null: none could be had), with a notice when it is not WebGPU. */
export function decideBackend(
  choice: BackendChoice,
  adapter: Pick<AdapterSummary, 'isSoftware' | 'label'> | null,
  unavailableWhy = 'no adapter',
): { use: 'cpu' | 'webgpu'; notice: string | null } {
  if (choice === 'cpu') return { use: 'cpu', notice: null };
  if (!adapter) {
    if (choice === 'webgpu')
      throw new Error(`This experiment asks for WebGPU, which is not available: ${unavailableWhy}`);
    return {
      use: 'cpu',
      notice: `Running on the CPU engine because WebGPU is not available (${unavailableWhy}). Small presets only: larger runs will be slow.`,
    };
  }
  if (choice === 'auto' && adapter.isSoftware)
    return {
      use: 'cpu',
      notice: `Running on the CPU engine: the only WebGPU adapter here is ${adapter.label}, a software renderer that is slower than the CPU engine. Set Backend to webgpu to use it anyway.`,
    };
  return { use: 'webgpu', notice: null };
}

/**
 * Creates the backend the rule picks. `acquire` opens a GPU context (the page's navigator.gpu, Dawn in
 * Node); it is not called for 'cpu', and a context the rule does not use is released.
 */
export async function chooseBackend(
  choice: BackendChoice,
  acquire: () => Promise<GpuContext>,
): Promise<{ backend: Backend; notice: string | null; context: GpuContext | null }> {
  if (choice === 'cpu') return { backend: new CpuBackend(), notice: null, context: null };
  let context: GpuContext | null = null;
  let why = 'no adapter';
  try {
    context = await acquire();
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  const decision = decideBackend(choice, context?.info ?? null, why);
  if (decision.use === 'cpu') {
    context?.device.destroy();
    return { backend: new CpuBackend(), notice: decision.notice, context: null };
  }
  const { WebGpuBackend } = await import('./webgpu/backend');
  return { backend: await WebGpuBackend.create(context as GpuContext), notice: null, context };
}
