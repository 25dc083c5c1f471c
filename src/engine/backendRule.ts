// The rule for which engine runs an experiment, as a pure decision with no engine code behind it, so
// the page's device badge can show what a run will use without loading an engine at start-up:
// 'cpu' is the CPU engine; 'webgpu' is WebGPU or an error; 'auto' is WebGPU on a hardware adapter and
// the CPU engine otherwise: when there is no adapter, and when the only one is a software renderer
// (SwiftShader), whose arithmetic ceiling is below the WebAssembly CPU engine's (README, Performance).
// chooseBackend.ts applies it and builds the backend.
import type { AdapterSummary } from './webgpu/device';

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
