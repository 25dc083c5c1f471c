// "Verify with ONNX Runtime": runs the fixed, seeded batch through ORT (WebGPU execution provider when
// the browser has WebGPU, wasm otherwise) and through our engine, and shows max |Δ logit|, top-1
// agreement, both timings and which provider ran. A WebGPU-EP failure that fell back to wasm is shown,
// and any ORT error is shown with its cause.
import { useEffect, useState } from 'react';
import type { BrowserVerifyReport } from '../../onnx/ort-browser';
import { describeError } from './checkpointChoice';
import { loadModelTools } from './loadModelTools';
import type { ToolModel } from './modelTools';
import { ToolsSection } from './ToolsSection';

type VerifyState =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; report: BrowserVerifyReport }
  | { state: 'error'; message: string };

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

export function VerifySection({ model }: { model: ToolModel }) {
  const [verify, setVerify] = useState<VerifyState>({ state: 'idle' });
  // A result belongs to the checkpoint it was computed on.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the model changes
  useEffect(() => setVerify({ state: 'idle' }), [model]);

  const run = async () => {
    setVerify({ state: 'running' });
    try {
      const tools = await loadModelTools();
      setVerify({ state: 'done', report: await tools.verifyToolModel(model) });
    } catch (error) {
      setVerify({ state: 'error', message: describeError(error) });
    }
  };

  return (
    <ToolsSection id="verify" title="Verify with ONNX Runtime" level={3}>
      <p className="panel-note">
        The same fixed batch of token ids (4 rows, ragged lengths) through ONNX Runtime and through our
        engine; the bar is |Δ| ≤ 1e-4 + 1e-4·|logit| at every real position.
      </p>
      <button
        type="button"
        data-testid="tools-verify"
        onClick={() => void run()}
        disabled={verify.state === 'running'}
      >
        {verify.state === 'running' ? 'Verifying…' : 'Verify with ONNX Runtime'}
      </button>
      {verify.state === 'error' && (
        <p className="tools-error" role="alert" data-testid="tools-verify-error">
          {verify.message}
        </p>
      )}
      {verify.state === 'done' && <VerifyReportTable report={verify.report} engineName={model.engineName} />}
    </ToolsSection>
  );
}

function VerifyReportTable({ report, engineName }: { report: BrowserVerifyReport; engineName: string }) {
  const agreement = `${(report.top1Agreement * 100).toFixed(1)}%`;
  return (
    <div data-testid="tools-verify-report">
      <p className={report.withinTolerance ? 'tools-ok' : 'tools-error'} data-testid="tools-verify-verdict">
        {report.withinTolerance
          ? '✓ ONNX Runtime and our engine agree within tolerance.'
          : '✗ The runtimes differ beyond tolerance.'}
      </p>
      <table className="tools-table">
        <tbody>
          <tr>
            <th scope="row">max |Δ logit|</th>
            <td data-testid="tools-max-diff">{report.maxAbsDiff.toExponential(2)}</td>
          </tr>
          <tr>
            <th scope="row">top-1 agreement</th>
            <td data-testid="tools-top1">
              {agreement} of {report.positions} positions
            </td>
          </tr>
          <tr>
            <th scope="row">ORT provider</th>
            <td data-testid="tools-provider">{report.executionProvider}</td>
          </tr>
          <tr>
            <th scope="row">ORT forward</th>
            <td>
              {ms(report.ortMs)} (session {ms(report.ortSessionMs)})
            </td>
          </tr>
          <tr>
            <th scope="row">our engine</th>
            <td>
              {ms(report.engineMs)} <span className="tools-muted">{engineName}</span>
            </td>
          </tr>
          <tr>
            <th scope="row">.onnx size</th>
            <td>{(report.onnxBytes / 1024).toFixed(0)} KiB</td>
          </tr>
        </tbody>
      </table>
      {report.webgpuError && (
        <p className="tools-warn" role="status" data-testid="tools-webgpu-error">
          ORT's WebGPU execution provider failed, so this check ran on wasm: {report.webgpuError}
        </p>
      )}
      {report.mismatches.length > 0 && (
        <ul className="tools-mismatches">
          {report.mismatches.map((m) => (
            <li key={`${m.b}-${m.t}-${m.v}`}>
              row {m.b}, position {m.t}, token {m.v}: ORT {m.ort.toPrecision(6)} vs engine{' '}
              {m.engine.toPrecision(6)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
