// The lab's one zustand store, assembled from slices (runs, experiment, view). Training runs outside
// React; their events reach the store through the frame batcher, never one set() per event.
import { create } from 'zustand';
import { createExperimentSlice, type ExperimentSlice } from './experimentSlice';
import { createRunsSlice, type RunsSlice } from './runsSlice';
import { createViewSlice, type ViewSlice } from './viewSlice';

export type LabState = RunsSlice & ExperimentSlice & ViewSlice;

export const createLabStore = () =>
  create<LabState>()((...a) => ({
    ...createRunsSlice(...a),
    ...createExperimentSlice(...a),
    ...createViewSlice(...a),
  }));

export const useLabStore = createLabStore();
