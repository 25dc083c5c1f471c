// The "Tools" side-panel tab: model tools on a checkpoint (a zoo model or a settled run's last
// checkpoint) — verify our engine against ONNX Runtime, a greedy playground on both runtimes, the .onnx
// download — and the cluster export of the experiment in the editor. The heavy parts (ORT, the engine)
// load with a dynamic import() on first use, never with the page.
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { downloadBlob } from '../downloads/chartImage';
import { useGpuStore } from '../store/gpuStore';
import { useLabStore } from '../store/labStore';
import { ClusterExportSection } from './ClusterExportSection';
import {
  type CheckpointChoice,
  checkpointChoices,
  choiceKey,
  choiceLabel,
  describeError,
} from './checkpointChoice';
import { loadModelTools } from './loadModelTools';
import type { ToolModel } from './modelTools';
import { PlaygroundSection } from './PlaygroundSection';
import { ToolsSection } from './ToolsSection';
import { VerifySection } from './VerifySection';

type Loaded =
  | { state: 'idle' }
  | { state: 'loading'; key: string }
  | { state: 'ready'; key: string; model: ToolModel }
  | { state: 'error'; key: string; message: string };

export function ToolsPanel() {
  const { runOrder, runs } = useLabStore(useShallow((s) => ({ runOrder: s.runOrder, runs: s.runs })));
  const gpuStatus = useGpuStore((s) => s.status);
  const choices = useMemo(() => checkpointChoices(runOrder.map((id) => runs[id])), [runOrder, runs]);
  const [selected, setSelected] = useState(() => choiceKey(choices[0]));
  const [loaded, setLoaded] = useState<Loaded>({ state: 'idle' });
  const [onnxError, setOnnxError] = useState<string | null>(null);

  // A model left on the GPU when another is loaded (or the tab closes) is released.
  useEffect(() => {
    const model = loaded.state === 'ready' ? loaded.model : null;
    return () => model?.engine.dispose();
  }, [loaded]);

  const choice: CheckpointChoice | undefined = choices.find((c) => choiceKey(c) === selected);
  const load = async () => {
    if (!choice) return;
    const key = choiceKey(choice);
    setLoaded({ state: 'loading', key });
    try {
      const tools = await loadModelTools();
      const gpu = gpuStatus.state === 'ready' ? gpuStatus.gpu : null;
      const model = await tools.openToolModel(choice, gpu);
      setLoaded({ state: 'ready', key, model });
    } catch (error) {
      setLoaded({ state: 'error', key, message: describeError(error) });
    }
  };
  const model = loaded.state === 'ready' && loaded.key === selected ? loaded.model : null;

  return (
    <div className="tools-panel" data-testid="tools-panel">
      <ToolsSection id="model" title="Model tools" level={2}>
        <p className="panel-note">
          Check our engine against an independent runtime (ONNX Runtime Web), compare completions, and take
          the model out of the lab as an <code>.onnx</code> file.
        </p>
        <label htmlFor="tools-checkpoint" className="tools-label">
          Checkpoint: a zoo model, or the last checkpoint of a finished, paused or stopped run
        </label>
        <div className="tools-row">
          <select
            id="tools-checkpoint"
            data-testid="tools-checkpoint"
            value={selected}
            onChange={(e) => setSelected(e.target.value)}
          >
            {choices.map((c) => (
              <option key={choiceKey(c)} value={choiceKey(c)}>
                {choiceLabel(c)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="primary"
            data-testid="tools-load"
            onClick={() => void load()}
            disabled={!choice || loaded.state === 'loading'}
          >
            {loaded.state === 'loading' ? 'Loading…' : 'Load'}
          </button>
        </div>
        {loaded.state === 'error' && loaded.key === selected && (
          <p className="tools-error" role="alert" data-testid="tools-load-error">
            Could not load the checkpoint: {loaded.message}
          </p>
        )}
        {model && (
          <p className="tools-loaded" data-testid="tools-loaded">
            Loaded {model.label} on {model.engineName}.
          </p>
        )}
      </ToolsSection>
      {model && (
        <>
          <VerifySection model={model} />
          <PlaygroundSection model={model} />
          <ToolsSection id="onnx" title="ONNX file" level={3}>
            <p className="panel-note">
              Opset 17, standard operators only, weights under their Hugging Face names, with KV-cache inputs
              (give zero-length pasts for a plain forward pass).
            </p>
            <button
              type="button"
              data-testid="tools-download-onnx"
              onClick={() => {
                setOnnxError(null);
                loadModelTools()
                  .then((tools) => {
                    const { blob, fileName } = tools.onnxFile(model);
                    downloadBlob(blob, fileName);
                  })
                  .catch((error) => setOnnxError(describeError(error)));
              }}
            >
              Download .onnx
            </button>
            {onnxError && (
              <p className="tools-error" role="alert">
                The export failed: {onnxError}
              </p>
            )}
          </ToolsSection>
        </>
      )}
      <ClusterExportSection />
    </div>
  );
}
