// The view slice: how the page is shown, not what is computed — which side panel is open, projector
// (large type) mode, chart smoothing and log scales, the rollout inspector's filters, and how many
// seeds of a sweep compute at once (which changes the wait, never a seed's metrics).
import type { StateCreator } from 'zustand';
import type { CompletionStyle } from '../runTypes';

export type SidePanel = 'experiment' | 'presets' | 'learn' | 'runs' | 'tools';
export type StyleFilter = 'all' | CompletionStyle;
export type RewardFilter = 'all' | 'rewarded' | 'unrewarded';

export interface ViewSlice {
  panel: SidePanel;
  projector: boolean;
  /** Exponential-moving-average weight for step metrics, 0 (raw) .. 0.95 (very smooth). */
  smoothing: number;
  /** Chart ids drawn on a log y axis (KL and clip fractions span decades). */
  logScaleCharts: string[];
  styleFilter: StyleFilter;
  rewardFilter: RewardFilter;
  /**
   * Seeds of a sweep computed at once (a Worker each on the CPU engine, one shared Worker and device on
   * a GPU): 'auto' = the cores less one for the page on the CPU engine, 4 on a GPU (seedsAtOnce).
   */
  parallelSeeds: ParallelSeeds;
  setPanel: (panel: SidePanel) => void;
  toggleProjector: () => void;
  setSmoothing: (smoothing: number) => void;
  toggleLogScale: (chartId: string) => void;
  setStyleFilter: (filter: StyleFilter) => void;
  setRewardFilter: (filter: RewardFilter) => void;
  setParallelSeeds: (value: ParallelSeeds) => void;
}

export type ParallelSeeds = 'auto' | 1 | 2 | 4 | 8;
export const PARALLEL_SEED_CHOICES: readonly ParallelSeeds[] = ['auto', 1, 2, 4, 8];

/**
 * Runs at once for a preference. On the CPU engine each run has a Worker, so 'auto' is the `cores`
 * logical cores less one for the page; runs on the GPU share one Worker and device, where more runs
 * overlap more of each other's waits: 'auto' is then 4, every seed of a preset, not 8, since eight
 * copies of a paper-batch run could outgrow a small GPU's memory (choose 8 to try).
 */
export function seedsAtOnce(value: ParallelSeeds, cores: number | undefined, onGpu = false): number {
  if (value !== 'auto') return value;
  if (onGpu) return 4;
  return Math.min(8, Math.max(1, Math.floor(cores ?? 1) - 1));
}

export const MAX_SMOOTHING = 0.95;

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = (set) => ({
  panel: 'experiment',
  projector: false,
  smoothing: 0.6,
  logScaleCharts: [],
  styleFilter: 'all',
  rewardFilter: 'all',
  parallelSeeds: 'auto',
  setPanel: (panel) => set({ panel }),
  toggleProjector: () => set((s) => ({ projector: !s.projector })),
  setSmoothing: (smoothing) =>
    set({ smoothing: Number.isFinite(smoothing) ? Math.min(MAX_SMOOTHING, Math.max(0, smoothing)) : 0 }),
  toggleLogScale: (chartId) =>
    set((s) => ({
      logScaleCharts: s.logScaleCharts.includes(chartId)
        ? s.logScaleCharts.filter((c) => c !== chartId)
        : [...s.logScaleCharts, chartId],
    })),
  setStyleFilter: (styleFilter) => set({ styleFilter }),
  setRewardFilter: (rewardFilter) => set({ rewardFilter }),
  setParallelSeeds: (parallelSeeds) => set({ parallelSeeds }),
});
