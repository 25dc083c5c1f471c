// The view slice: how the page is shown, not what is computed — which side panel is open, projector
// (large type) mode, chart smoothing and log scales, and the rollout inspector's filters.
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
  setPanel: (panel: SidePanel) => void;
  toggleProjector: () => void;
  setSmoothing: (smoothing: number) => void;
  toggleLogScale: (chartId: string) => void;
  setStyleFilter: (filter: StyleFilter) => void;
  setRewardFilter: (filter: RewardFilter) => void;
}

export const MAX_SMOOTHING = 0.95;

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = (set) => ({
  panel: 'experiment',
  projector: false,
  smoothing: 0.6,
  logScaleCharts: [],
  styleFilter: 'all',
  rewardFilter: 'all',
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
});
