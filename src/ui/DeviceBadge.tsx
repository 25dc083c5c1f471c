// The device badge in the run bar: what the experiment in the editor computes on (the backend rule of
// engine/backendRule applied to this browser's adapter), and the adapter itself.
// The rule alone (backendRule.ts), not chooseBackend.ts: that one imports the CPU engine, which the page
// must not load at start-up for a badge.
import { decideBackend } from '../engine/backendRule';
import { useGpuStore } from './store/gpuStore';
import { useLabStore } from './store/labStore';

export function DeviceBadge() {
  const status = useGpuStore((s) => s.status);
  const choice = useLabStore((s) => s.config.backend);
  let text: string;
  let tone: 'ok' | 'warn' | 'busy';
  let title: string | undefined;
  switch (status.state) {
    case 'probing':
      text = 'Looking for a GPU…';
      tone = 'busy';
      break;
    case 'ready': {
      const { info } = status.gpu;
      // A software adapter (SwiftShader) is slower than the CPU engine, so 'auto' runs on the CPU
      // there: the badge says so instead of naming an adapter the run will not use.
      if (decideBackend(choice, info).use === 'cpu') {
        text = `CPU engine · WebGPU here: ${info.label}`;
        title =
          choice === 'cpu'
            ? 'The experiment asks for the CPU engine (Backend: cpu).'
            : `The only WebGPU adapter here (${info.label}) is a software renderer, slower than the CPU engine. Set Backend to webgpu to use it anyway.`;
      } else text = `WebGPU · ${info.label}`;
      tone = info.isSoftware ? 'warn' : 'ok';
      break;
    }
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
      title={title}
    >
      {text}
    </output>
  );
}
