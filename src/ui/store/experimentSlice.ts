// The experiment slice: the config being edited (what the URL hash mirrors), the values typed into
// fields that were refused (they block Play, Step and Copy link until fixed, so the page never shows one
// value and runs another), the problems found when the page's URL was parsed (shown in a banner), and the
// controls a classroom link hides (`hide=`).
import type { StateCreator } from 'zustand';
import { defaultExperiment, fieldSpec } from '../../experiment/config/fields';
import type { ExperimentConfig, ExperimentKey } from '../../experiment/config/schema';
import { coerceField, type FieldError } from '../../experiment/config/validate';

export interface ExperimentSlice {
  config: ExperimentConfig;
  /** Problems with the URL the page was opened with; each says which default was used instead. */
  urlErrors: FieldError[];
  /** Config keys whose controls are hidden (classroom embeds). */
  hiddenKeys: ExperimentKey[];
  /** Fields whose typed value was refused: the text on screen and why (cleared by a valid value or a load). */
  fieldProblems: Partial<Record<ExperimentKey, { text: string; why: string }>>;
  /**
   * Sets one field from a control's value; returns why the value was refused (and leaves the config
   * unchanged), or null when it was applied.
   */
  setField: (key: ExperimentKey, raw: unknown) => string | null;
  /**
   * Records (or clears, with null) a problem the schema cannot see, e.g. a model name this browser has
   * no files for; it blocks Play and Copy link like a refused value.
   */
  noteFieldProblem: (key: ExperimentKey, problem: { text: string; why: string } | null) => void;
  /** Replaces the whole config (a preset, a parsed URL, a run's config). */
  loadConfig: (config: ExperimentConfig, urlErrors?: FieldError[], hiddenKeys?: ExperimentKey[]) => void;
  dismissUrlErrors: () => void;
}

export const createExperimentSlice: StateCreator<ExperimentSlice, [], [], ExperimentSlice> = (set, get) => ({
  config: defaultExperiment(),
  urlErrors: [],
  hiddenKeys: [],
  fieldProblems: {},
  setField: (key, raw) => {
    const result = coerceField(fieldSpec(key), raw);
    const { [key]: _cleared, ...others } = get().fieldProblems;
    if (!result.ok) {
      set({ fieldProblems: { ...others, [key]: { text: String(raw), why: result.why } } });
      return result.why;
    }
    set({ config: { ...get().config, [key]: result.value }, fieldProblems: others });
    return null;
  },
  noteFieldProblem: (key, problem) => {
    const { [key]: current, ...others } = get().fieldProblems;
    if (problem === null) {
      if (current) set({ fieldProblems: others });
    } else if (current?.text !== problem.text || current.why !== problem.why)
      set({ fieldProblems: { ...others, [key]: problem } });
  },
  loadConfig: (config, urlErrors = [], hiddenKeys) =>
    set((s) => ({ config, urlErrors, hiddenKeys: hiddenKeys ?? s.hiddenKeys, fieldProblems: {} })),
  dismissUrlErrors: () => set({ urlErrors: [] }),
});

/**
 * Why the experiment on screen cannot run or be shared now (a refused value is still displayed), or
 * null. Play, Step and Copy link show this next to them instead of acting on different values.
 */
export function blockedReason(state: Pick<ExperimentSlice, 'fieldProblems'>): string | null {
  const problems = Object.entries(state.fieldProblems) as [ExperimentKey, { text: string; why: string }][];
  if (problems.length === 0) return null;
  const list = problems.map(([key, p]) => `${fieldSpec(key).label} "${p.text}": ${p.why}`).join('; ');
  return `Fix ${problems.length === 1 ? 'this field' : `these ${problems.length} fields`} first — ${list}`;
}
