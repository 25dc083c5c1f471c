// zustand store holding the WebGPU device status the whole page shows (badge, CPU-fallback notice). A
// store of its own beside labStore.ts: the probe runs once per page; run routing and "Seeds computed at
// once" read it through computesOnGpu.
import { create } from 'zustand';
import { type BackendChoice, decideBackend } from '../../engine/backendRule';
import { acquireGpu, type GpuContext, WebGpuUnavailableError } from '../../engine/webgpu/device';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; gpu: GpuContext }
  | { state: 'unavailable'; reason: string; message: string }
  | { state: 'lost'; message: string };

interface GpuSlice {
  status: GpuStatus;
  probe: () => Promise<void>;
}

/**
 * Whether an experiment asking for `choice` computes on this page's GPU: the backend rule applied to
 * the adapter the probe found (what the device badge shows). Not while the probe runs or after a loss.
 */
export function computesOnGpu(status: GpuStatus, choice: BackendChoice): boolean {
  return status.state === 'ready' && decideBackend(choice, status.gpu.info).use === 'webgpu';
}

export const useGpuStore = create<GpuSlice>((set) => ({
  status: { state: 'probing' },
  probe: async () => {
    set({ status: { state: 'probing' } });
    try {
      const gpu = await acquireGpu(typeof navigator === 'undefined' ? undefined : navigator.gpu);
      set({ status: { state: 'ready', gpu } });
      gpu.lost.then((info) => {
        // 'destroyed' is our own doing (e.g. a reset); anything else is the browser taking the GPU away.
        if (info.reason !== 'destroyed') {
          set({ status: { state: 'lost', message: info.message || 'The GPU device was lost.' } });
        }
      });
    } catch (err) {
      if (err instanceof WebGpuUnavailableError) {
        set({ status: { state: 'unavailable', reason: err.reason, message: err.message } });
      } else {
        set({ status: { state: 'unavailable', reason: 'unknown', message: String(err) } });
      }
    }
  },
}));
