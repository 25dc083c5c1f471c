// The lab shell: header with the device badge, a notice when WebGPU is missing, and the main area.
import { useEffect } from 'react';
import { DeviceBadge } from './DeviceBadge';
import { useGpuStore } from './gpuStore';

export function App() {
  const probe = useGpuStore((s) => s.probe);
  const status = useGpuStore((s) => s.status);
  useEffect(() => {
    void probe();
  }, [probe]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Spurious Rewards Lab</h1>
        <p className="tagline">
          Does RLVR need a correct reward? Re-run the experiment on tiny models in your browser.
        </p>
        <DeviceBadge />
      </header>
      {status.state === 'unavailable' && (
        <div className="notice notice--warn" role="alert" data-testid="no-webgpu-notice">
          <strong>WebGPU is not available.</strong> {status.message} Small presets still run on the CPU
          engine, and shared experiment links still open.
        </div>
      )}
      {status.state === 'lost' && (
        <div className="notice notice--warn" role="alert">
          <strong>The GPU device was lost.</strong> {status.message} Your runs are saved; reload to continue.
        </div>
      )}
      <main className="app-main" data-testid="lab-main">
        <p>The experiment builder, live charts and rollout inspector appear here.</p>
      </main>
    </div>
  );
}
