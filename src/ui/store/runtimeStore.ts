// zustand store of the page's run machinery as the UI sees it: the run controller once it exists, why
// there is none yet, and any problem with saving runs. A store of its own beside labStore.ts: it is
// written once at start-up by startLabRuntime (ui/run/labRuntime.ts) and holds no run state.
import { create } from 'zustand';
import type { RunController } from '../run/runController';

export interface LabRuntime {
  controller: RunController | null;
  /** Why there is no run controller (no host available), for the run bar to say. */
  unavailableReason: string | null;
  persistenceProblem: string | null;
}

export const useRuntimeStore = create<LabRuntime>()(() => ({
  controller: null,
  unavailableReason: 'Starting…',
  persistenceProblem: null,
}));

/** The whole runtime; a component re-renders when any of it changes (it changes at start-up only). */
export function useLabRuntime(): LabRuntime {
  return useRuntimeStore();
}
