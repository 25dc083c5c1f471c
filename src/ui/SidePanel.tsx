// The left column: tabs for the experiment builder, presets gallery, Learn panel, runs list and tools
// (ONNX verify/playground/download, cluster export).
import { ExperimentPanel } from './experiment/ExperimentPanel';
import { LearnPanel } from './learn/LearnPanel';
import { PresetsGallery } from './presets/PresetsGallery';
import { RunsPanel } from './run/RunsPanel';
import { useLabStore } from './store/labStore';
import type { SidePanel as SidePanelId } from './store/viewSlice';
import { ToolsPanel } from './tools/ToolsPanel';

const TABS: { id: SidePanelId; label: string; key: string }[] = [
  { id: 'experiment', label: 'Experiment', key: '1' },
  { id: 'presets', label: 'Presets', key: '2' },
  { id: 'learn', label: 'Learn', key: '3' },
  { id: 'runs', label: 'Runs', key: '4' },
  { id: 'tools', label: 'Tools', key: '5' },
];

export function SidePanel() {
  const panel = useLabStore((s) => s.panel);
  const setPanel = useLabStore((s) => s.setPanel);
  const locked = useLabStore((s) => (s.activeRunId ? s.runs[s.activeRunId]?.state === 'running' : false));
  const runCount = useLabStore((s) => s.runOrder.length);
  return (
    <aside className="side-panel">
      <div role="tablist" aria-label="Panels" className="tabs">
        {TABS.map((tab) => (
          <button
            key={tab.id}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={panel === tab.id}
            aria-controls={`panel-${tab.id}`}
            aria-keyshortcuts={tab.key}
            className="tab"
            onClick={() => setPanel(tab.id)}
          >
            {tab.label}
            {tab.id === 'runs' && runCount > 0 ? ` (${runCount})` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${panel}`} aria-labelledby={`tab-${panel}`} className="tab-panel">
        {panel === 'experiment' && <ExperimentPanel locked={locked} />}
        {panel === 'presets' && <PresetsGallery />}
        {panel === 'learn' && <LearnPanel />}
        {panel === 'runs' && <RunsPanel />}
        {panel === 'tools' && <ToolsPanel />}
      </div>
    </aside>
  );
}
