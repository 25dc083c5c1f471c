// The zoo builder's page-side state: the user's families (as IndexedDB holds them), the build in
// progress (progress, loss, tokens/s, ETA, phase) and the last error. Only state: the build is driven by
// BuildController (ui/zoo/buildController.ts), which writes here as its Worker reports. A store of its
// own beside labStore.ts: nothing reads it with run state.
import { create } from 'zustand';
import type { StepReport } from '../../tasks/familyBuild';
import type { UserFamilyRecord } from '../zoo/userZoo';

export interface ActiveBuild {
  name: string;
  phase: 'starting' | 'training' | 'paused' | 'evaluating' | 'saving';
  backend: string | null;
  notice: string | null;
  report: StepReport | null;
  evalDone: number;
  evalTotal: number;
}

export interface ZooState {
  families: UserFamilyRecord[];
  active: ActiveBuild | null;
  error: string | null;
  /** The families have been read from IndexedDB at least once. */
  loaded: boolean;
}

export const createZooStore = () =>
  create<ZooState>()(() => ({ families: [], active: null, error: null, loaded: false }));

export const useZooStore = createZooStore();

/** A family left 'building' by a reload (no worker runs it now) shows as interrupted, resumable. */
export function displayStatus(record: UserFamilyRecord, active: ActiveBuild | null): string {
  if (active?.name === record.name) return active.phase;
  if (record.status === 'building') return 'interrupted';
  return record.status;
}
