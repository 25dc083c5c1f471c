// The presets gallery: the paper's experiments in miniature, grouped, each a one-click experiment link
// with its one-line explanation. A preset is an ordinary URL, so it can also be shared or bookmarked.
import {
  PRESET_GROUPS,
  PRESETS,
  type Preset,
  type PresetGroup,
  presetExperiment,
  presetHash,
} from '../../experiment/presets';
import { useLabStore } from '../store/labStore';
import { useLabRuntime } from '../store/runtimeStore';

export function PresetsGallery() {
  const groups = Object.entries(PRESET_GROUPS) as [PresetGroup, string][];
  const { controller } = useLabRuntime();
  // A classroom link's hidden controls stay hidden when a preset is opened from it.
  const hidden = useLabStore((s) => s.hiddenKeys);
  // A comparison runs each preset of the group one after another into the same charts (Figure 1 style).
  const compare = (presets: readonly Preset[]) =>
    controller?.startComparison(presets.map((p) => ({ config: presetExperiment(p).config, name: p.title })));
  return (
    <div className="presets" data-testid="presets-gallery">
      {groups.map(([group, title]) => {
        const presets = PRESETS.filter((p) => p.group === group);
        if (presets.length === 0) return null;
        return (
          <section key={group} className="preset-group" id={`presets-${group}`}>
            <h3>{title}</h3>
            {presets.length > 1 && (
              <button
                type="button"
                className="chip"
                disabled={!controller}
                onClick={() => compare(presets)}
                title="Run every preset of this group one after another, drawn together in the charts"
              >
                {presets.length === 2 ? 'Run both' : `Run all ${presets.length}`} as a comparison
              </button>
            )}
            <ul>
              {presets.map((preset) => (
                <li key={preset.id}>
                  <a href={`#${presetHash(preset, hidden)}`} className="preset-link" data-preset={preset.id}>
                    {preset.title}
                  </a>
                  <span className="preset-explanation">{preset.explanation}</span>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
