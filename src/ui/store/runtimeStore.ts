// zustand store of the page's job machinery as the UI sees it: the run controller once it exists, why
// there is none yet, any problem with saving runs, and the zoo build controller. A store of its own
// beside labStore.ts: it is written at start-up by startLabRuntime (ui/run/labRuntime.ts) and holds no
// run or build state.
import { create } from 'zustand';
import type { RunController } from '../run/runController';
import type { BuildController } from '../zoo/buildController';

export interface LabRuntime {
  controller: RunController | null;
  /** Why there is no run controller (no host available), for the run bar to say. */
  unavailableReason: string | null;
  persistenceProblem: string | null;
  /** Drives the zoo builder; null only before start-up. */
  buildController: BuildController | null;
}

export const useRuntimeStore = create<LabRuntime>()(() => ({
  controller: null,
  unavailableReason: 'Starting…',
  persistenceProblem: null,
  buildController: null,
}));

/** The whole runtime; a component re-renders when any of it changes (it changes at start-up only). */
export function useLabRuntime(): LabRuntime {
  return useRuntimeStore();
}
