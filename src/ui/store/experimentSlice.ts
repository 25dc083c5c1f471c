// The experiment slice: the config being edited (what the URL hash mirrors), the problems found when
// the page's URL was parsed (shown in a banner), and the controls a classroom link hides (`hide=`).
import type { StateCreator } from 'zustand';
import {
  coerceField,
  defaultExperiment,
  type ExperimentConfig,
  type ExperimentKey,
  type FieldError,
  fieldSpec,
} from '../../experiment/config';

export interface ExperimentSlice {
  config: ExperimentConfig;
  /** Problems with the URL the page was opened with; each says which default was used instead. */
  urlErrors: FieldError[];
  /** Config keys whose controls are hidden (classroom embeds). */
  hiddenKeys: ExperimentKey[];
  /**
   * Sets one field from a control's value; returns why the value was refused (and leaves the config
   * unchanged), or null when it was applied.
   */
  setField: (key: ExperimentKey, raw: unknown) => string | null;
  /** Replaces the whole config (a preset, a parsed URL, a run's config). */
  loadConfig: (config: ExperimentConfig, urlErrors?: FieldError[], hiddenKeys?: ExperimentKey[]) => void;
  dismissUrlErrors: () => void;
}

export const createExperimentSlice: StateCreator<ExperimentSlice, [], [], ExperimentSlice> = (set, get) => ({
  config: defaultExperiment(),
  urlErrors: [],
  hiddenKeys: [],
  setField: (key, raw) => {
    const result = coerceField(fieldSpec(key), raw);
    if (!result.ok) return result.why;
    set({ config: { ...get().config, [key]: result.value } });
    return null;
  },
  loadConfig: (config, urlErrors = [], hiddenKeys) =>
    set((s) => ({ config, urlErrors, hiddenKeys: hiddenKeys ?? s.hiddenKeys })),
  dismissUrlErrors: () => set({ urlErrors: [] }),
});
