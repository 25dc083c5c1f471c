// The device badge in the header: which adapter (and backend) the lab computes on.
import { useGpuStore } from './store/gpuStore';

export function DeviceBadge() {
  const status = useGpuStore((s) => s.status);
  let text: string;
  let tone: 'ok' | 'warn' | 'busy';
  switch (status.state) {
    case 'probing':
      text = 'Looking for a GPU…';
      tone = 'busy';
      break;
    case 'ready':
      text = `WebGPU · ${status.gpu.info.label}`;
      tone = status.gpu.info.isSoftware ? 'warn' : 'ok';
      break;
    case 'unavailable':
      text = 'CPU engine (no WebGPU)';
      tone = 'warn';
      break;
    case 'lost':
      text = 'GPU lost';
      tone = 'warn';
      break;
  }
  return (
    <output
      className={`device-badge device-badge--${tone}`}
      data-testid="device-badge"
      data-state={status.state}
    >
      {text}
    </output>
  );
}
