// The lab page: header (title, copy link, projector mode, shortcuts), the run bar, notices (no WebGPU,
// lost GPU, link problems, storage), and the workspace: side panel on the left, live charts and the
// rollout inspector on the right. Wires the store to the URL hash, IndexedDB and the keyboard.

import { useEffect, useMemo, useState } from 'react';
import { serializeExperiment } from '../experiment/url';
import { ChartsArea } from './charts/ChartsArea';
import { RolloutInspector } from './inspector/RolloutInspector';
import { startLabRuntime } from './run/labRuntime';
import { playIfSensible, RunBar } from './run/RunBar';
import { ShortcutsHelp } from './ShortcutsHelp';
import { SidePanel } from './SidePanel';
import { handleShortcut } from './shortcuts';
import { blockedReason } from './store/experimentSlice';
import { useGpuStore } from './store/gpuStore';
import { useLabStore } from './store/labStore';
import { useLabRuntime } from './store/runtimeStore';
import { ClassroomSummary } from './url/ClassroomSummary';
import { CopyLinkButton } from './url/CopyLinkButton';
import { startHashSync } from './url/hashSync';
import { UrlBanner } from './url/UrlBanner';
import { ZooBuilderLauncher } from './zoo/ZooBuilderPanel';

export function App() {
  const probe = useGpuStore((s) => s.probe);
  const status = useGpuStore((s) => s.status);
  const projector = useLabStore((s) => s.projector);
  const toggleProjector = useLabStore((s) => s.toggleProjector);
  const { controller, persistenceProblem } = useLabRuntime();
  const [helpOpen, setHelpOpen] = useState(false);
  // What the editor holds and which run the charts show, as attributes: the e2e tests check that they
  // always describe the same experiment (and people inspecting the page can see it too).
  const config = useLabStore((s) => s.config);
  // Serialised when the config changes, not on every store update (metrics arrive every frame).
  const experimentHash = useMemo(() => serializeExperiment(config), [config]);
  const shownRun = useLabStore((s) => (s.activeRunId ? s.runs[s.activeRunId] : null));
  const comparing = useLabStore((s) => s.comparedRunIds.length > 1);

  useEffect(() => {
    void probe();
  }, [probe]);
  useEffect(() => startHashSync(useLabStore), []);
  useEffect(() => {
    document.documentElement.classList.toggle('projector', projector);
  }, [projector]);
  useEffect(() => {
    void startLabRuntime();
  }, []);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const handled = handleShortcut(event, {
        playPause: () => {
          const state = useLabStore.getState();
          const active = state.activeRunId ? state.runs[state.activeRunId] : null;
          if (active?.state === 'running' || (active?.state === 'idle' && controller?.starting))
            controller?.pause();
          else if (controller) playIfSensible(controller, state);
        },
        step: () => {
          if (!blockedReason(useLabStore.getState())) controller?.step(useLabStore.getState().config);
        },
        reset: () => controller?.reset(),
        copyLink: () => document.querySelector<HTMLButtonElement>('.copy-link button')?.click(),
        toggleProjector,
        showPanel: (panel) => useLabStore.getState().setPanel(panel),
        toggleHelp: () => setHelpOpen((open) => !open),
      });
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [controller, toggleProjector]);

  return (
    <div className={`app${projector ? ' app--projector' : ''}`} data-testid="lab-app">
      {/* A button, not a link: the hash holds the experiment, so moving focus must not touch it. */}
      <button
        type="button"
        className="skip-link"
        data-testid="skip-to-charts"
        onClick={() => document.getElementById('charts')?.focus()}
      >
        Skip to the charts
      </button>
      <header className="app-header">
        <h1>Spurious Rewards Lab</h1>
        <p className="tagline">
          Does RLVR need a correct reward? Re-run the experiment on tiny models in your browser.
        </p>
        <CopyLinkButton />
        <ZooBuilderLauncher />
        <button
          type="button"
          aria-pressed={projector}
          onClick={toggleProjector}
          aria-keyshortcuts="P"
          title="Large type for projectors (p)"
        >
          Projector
        </button>
        <button
          type="button"
          onClick={() => setHelpOpen((o) => !o)}
          aria-keyshortcuts="?"
          title="Keyboard shortcuts (?)"
        >
          ?
        </button>
      </header>
      {helpOpen && <ShortcutsHelp onClose={() => setHelpOpen(false)} />}
      <RunBar />
      <ClassroomSummary />
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
      {persistenceProblem && (
        <div className="notice notice--warn" role="status">
          {persistenceProblem}
        </div>
      )}
      <UrlBanner />
      <main
        className="workspace"
        data-testid="lab-main"
        data-experiment={experimentHash}
        data-shown-run={shownRun?.hash ?? ''}
        data-shown-run-seed={shownRun?.seed ?? ''}
        data-comparing={comparing ? 'yes' : 'no'}
      >
        <SidePanel />
        <div className="results">
          <ChartsArea />
          <RolloutInspector />
        </div>
      </main>
    </div>
  );
}
