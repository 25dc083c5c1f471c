// "Export for a cluster": the experiment in the editor as a verl or OpenRLHF folder (launch script,
// reward module, data preparation, README), downloaded as one .tar. The settings that do not map, or
// map only approximately, are listed on the page as the download starts, so nothing is dropped silently.
import { useState } from 'react';
import { ZOO_FAMILIES } from '../../experiment/config/schema';
import type { Engine } from '../../export/engines';
import type { SettingMapping } from '../../export/mappingTable';
import { downloadBlob } from '../downloads/chartImage';
import { useLabStore } from '../store/labStore';
import { describeError } from './checkpointChoice';
import { ToolsSection } from './ToolsSection';

type ExportState =
  | { state: 'idle' }
  | { state: 'done'; fileName: string; bytes: number; engine: Engine; caveats: SettingMapping[] }
  | { state: 'error'; message: string };

const ENGINE_LABEL: Record<Engine, string> = { verl: 'verl', openrlhf: 'OpenRLHF' };

export function ClusterExportSection() {
  const config = useLabStore((s) => s.config);
  const [engine, setEngine] = useState<Engine>('verl');
  const [modelOverride, setModelOverride] = useState('');
  const [result, setResult] = useState<ExportState>({ state: 'idle' });
  const realModel = (ZOO_FAMILIES as Record<string, string>)[config.model] ?? '';

  const exportNow = async () => {
    try {
      // Loaded on use: the Python templates are not needed for the page to start.
      const { exportArchive } = await import('../../export/cluster');
      const model = modelOverride.trim() || undefined;
      const archive = exportArchive(config, { engine, model });
      setResult({
        state: 'done',
        fileName: archive.fileName,
        bytes: archive.bytes.length,
        engine,
        caveats: archive.caveats,
      });
      downloadBlob(
        new Blob([archive.bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-tar' }),
        archive.fileName,
      );
    } catch (error) {
      setResult({ state: 'error', message: describeError(error) });
    }
  };

  return (
    <ToolsSection id="cluster" title="Export for a cluster" level={2}>
      <p className="panel-note">
        The experiment in the editor as a runnable recipe for a real model: launch script, the reward in
        Python, data preparation and a README mapping every setting. One <code>.tar</code> download.
      </p>
      <div className="tools-row">
        <span id="tools-engine-label">Engine</span>
        <div role="radiogroup" aria-labelledby="tools-engine-label" className="tools-engines">
          {(['verl', 'openrlhf'] as const).map((id) => (
            <label key={id}>
              <input
                type="radio"
                name="tools-engine"
                value={id}
                checked={engine === id}
                onChange={() => setEngine(id)}
                data-testid={`tools-engine-${id}`}
              />{' '}
              {ENGINE_LABEL[id]}
            </label>
          ))}
        </div>
      </div>
      <div className="tools-row">
        <label htmlFor="tools-real-model">Model</label>
        <input
          id="tools-real-model"
          data-testid="tools-real-model"
          className="tools-question"
          value={modelOverride}
          placeholder={realModel || 'Hugging Face model id'}
          onChange={(e) => setModelOverride(e.target.value)}
          title={`Hugging Face id or path; empty: ${realModel || 'the family’s real model'}`}
        />
      </div>
      <button
        type="button"
        className="primary"
        data-testid="tools-cluster-export"
        onClick={() => void exportNow()}
      >
        Export for a cluster
      </button>
      {result.state === 'error' && (
        <p className="tools-error" role="alert" data-testid="tools-cluster-error">
          The export failed: {result.message}
        </p>
      )}
      {result.state === 'done' && (
        <div data-testid="tools-cluster-result">
          <p className="tools-ok">
            Downloaded <code>{result.fileName}</code> ({(result.bytes / 1024).toFixed(0)} KiB) for{' '}
            {ENGINE_LABEL[result.engine]}.
          </p>
          <p className="panel-note">
            {result.caveats.length === 1 ? '1 setting does' : `${result.caveats.length} settings do`} not map
            exactly (the README in the archive has every row):
          </p>
          <ul className="tools-caveats" data-testid="tools-caveats">
            {result.caveats.map((c) => (
              <li key={`${c.field}-${c.status}`}>
                <strong>{c.field}</strong>{' '}
                <span className={`tools-status tools-status--${c.status}`}>{c.status}</span> ({c.labValue}):{' '}
                {c.note}
              </li>
            ))}
          </ul>
        </div>
      )}
    </ToolsSection>
  );
}
