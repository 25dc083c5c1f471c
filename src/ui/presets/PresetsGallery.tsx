// The presets gallery: the paper's experiments in miniature, grouped, each a one-click experiment link
// with its one-line explanation. A preset is an ordinary URL, so it can also be shared or bookmarked.
import { PRESET_GROUPS, PRESETS, type PresetGroup, presetHash } from '../../experiment/presets';

export function PresetsGallery() {
  const groups = Object.entries(PRESET_GROUPS) as [PresetGroup, string][];
  return (
    <div className="presets" data-testid="presets-gallery">
      {groups.map(([group, title]) => {
        const presets = PRESETS.filter((p) => p.group === group);
        if (presets.length === 0) return null;
        return (
          <section key={group} className="preset-group" id={`presets-${group}`}>
            <h3>{title}</h3>
            <ul>
              {presets.map((preset) => (
                <li key={preset.id}>
                  <a href={`#${presetHash(preset)}`} className="preset-link" data-preset={preset.id}>
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
