// The benchmark page (bench.html): forward latency of a fixed batch (B=8, T=64 token ids) on a zoo
// model — our WebGPU engine vs ONNX Runtime Web's WebGPU execution provider on the same adapter vs ORT
// wasm — as a table with ratios. Nothing runs until the button is pressed: on a software GPU a run takes
// a while, and a benchmark that starts by itself would slow every page load.
import { useEffect, useState } from 'react';
import { acquireGpu, type GpuContext } from '../../engine/webgpu/device';
import { ZOO_FAMILY_NAMES } from '../../experiment/config/schema';
import { describeError } from './checkpointChoice';
import { loadModelTools } from './loadModelTools';
import type { BenchResult } from './modelTools';

type Gpu = { state: 'probing' } | { state: 'ready'; gpu: GpuContext } | { state: 'none'; why: string };
type Bench =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; result: BenchResult }
  | { state: 'error'; message: string };

const RUNTIME_LABEL: Record<string, string> = {
  engine: 'our engine',
  'ort webgpu': 'ONNX Runtime, WebGPU EP',
  'ort wasm': 'ONNX Runtime, wasm',
};

export function BenchPage() {
  const [gpu, setGpu] = useState<Gpu>({ state: 'probing' });
  const [family, setFamily] = useState<string>(ZOO_FAMILY_NAMES[0]);
  const [iterations, setIterations] = useState(5);
  const [bench, setBench] = useState<Bench>({ state: 'idle' });

  useEffect(() => {
    acquireGpu(navigator.gpu).then(
      (ctx) => setGpu({ state: 'ready', gpu: ctx }),
      (error) => setGpu({ state: 'none', why: describeError(error) }),
    );
  }, []);

  const run = async () => {
    setBench({ state: 'running' });
    try {
      const tools = await loadModelTools();
      const result = await tools.benchZooModel(family, iterations, gpu.state === 'ready' ? gpu.gpu : null);
      setBench({ state: 'done', result });
    } catch (error) {
      setBench({ state: 'error', message: describeError(error) });
    }
  };

  return (
    <div className="app bench-page" data-testid="bench-page">
      <header className="app-header">
        <h1>Benchmark: our engine vs ONNX Runtime</h1>
        <a href="./">Back to the lab</a>
      </header>
      <main className="bench-main">
        <p>
          Forward latency of one fixed batch (8 sequences × 64 token ids, logits read back), the median of
          warm runs after one warm-up; ONNX Runtime's session creation is not timed. Our engine and ORT's
          WebGPU execution provider run on the same adapter.
        </p>
        <p data-testid="bench-adapter">
          {gpu.state === 'probing' && 'Looking for a WebGPU adapter…'}
          {gpu.state === 'ready' && `WebGPU adapter: ${gpu.gpu.info.label}.`}
          {gpu.state === 'none' && `No WebGPU here (${gpu.why}): our CPU engine against ORT wasm only.`}
        </p>
        <div className="tools-row bench-controls">
          <label htmlFor="bench-model">Model</label>
          <select id="bench-model" value={family} onChange={(e) => setFamily(e.target.value)}>
            {ZOO_FAMILY_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <label htmlFor="bench-iterations">Runs (median of)</label>
          <input
            id="bench-iterations"
            data-testid="bench-iterations"
            type="number"
            min={1}
            max={50}
            value={iterations}
            onChange={(e) => {
              const value = Math.round(Number(e.target.value));
              if (Number.isFinite(value)) setIterations(Math.min(50, Math.max(1, value)));
            }}
          />
          <button
            type="button"
            className="primary"
            data-testid="bench-run"
            disabled={gpu.state === 'probing' || bench.state === 'running'}
            onClick={() => void run()}
          >
            {bench.state === 'running' ? 'Running…' : 'Run benchmark'}
          </button>
        </div>
        {bench.state === 'error' && (
          <p className="tools-error" role="alert" data-testid="bench-error">
            {bench.message}
          </p>
        )}
        {bench.state === 'done' && <BenchTable result={bench.result} />}
      </main>
    </div>
  );
}

function BenchTable({ result }: { result: BenchResult }) {
  return (
    <table className="comparison-table bench-table" data-testid="bench-table">
      <caption>
        {result.family}, median of {result.iterations} run{result.iterations === 1 ? '' : 's'}; our engine:{' '}
        {result.engineName}
      </caption>
      <thead>
        <tr>
          <th scope="col">runtime</th>
          <th scope="col">forward (ms)</th>
          <th scope="col" title="above 1: slower than our engine">
            ratio to our engine
          </th>
        </tr>
      </thead>
      <tbody>
        {result.rows.map((row) => (
          <tr key={row.runtime} data-testid="bench-row" data-runtime={row.runtime}>
            <td>{RUNTIME_LABEL[row.runtime] ?? row.runtime}</td>
            <td>{row.ms.toFixed(2)}</td>
            <td>{row.ratioVsEngine.toFixed(2)}×</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
