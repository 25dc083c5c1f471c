// Builds the backend the one backend rule (backendRule.ts) picks, for the browser, the CLI and the tools
// panel: the CPU engine, or WebGPU on the given adapter.
import type { Backend } from './backend';
import { type BackendChoice, decideBackend } from './backendRule';
import { CpuBackend } from './cpu/backend';
import type { WebGpuBackendOptions } from './webgpu/backend';
import type { GpuContext } from './webgpu/device';

/**
 * Creates the backend the rule picks. `acquire` opens a GPU context (the page's navigator.gpu, Dawn in
 * Node); it is not called for 'cpu', and a context the rule does not use is released, unless it is
 * `shared` (other runs compute on it).
 */
export async function chooseBackend(
  choice: BackendChoice,
  acquire: () => Promise<GpuContext>,
  options: WebGpuBackendOptions = {},
  shared = false,
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
    if (!shared) context?.device.destroy();
    return { backend: new CpuBackend(), notice: decision.notice, context: null };
  }
  const { WebGpuBackend } = await import('./webgpu/backend');
  return { backend: await WebGpuBackend.create(context as GpuContext, options), notice: null, context };
}
