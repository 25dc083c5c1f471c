// Messages between the page and the zoo builder's Web Worker (zooWorker.ts). Structured-cloneable data.
import type { BackendChoice } from '../../engine/backendRule';
import type { CheckpointFiles } from '../../model/checkpoint';
import type { BuildProgress, FamilySpec, StepReport } from '../../tasks/familyBuild';
import type { ZooCard } from '../../tasks/zoo';

export type ToZooWorker =
  | {
      type: 'build';
      spec: FamilySpec;
      backend: BackendChoice;
      /** Continue from this progress checkpoint instead of a fresh initialisation. */
      resume: BuildProgress | null;
      checkpointEvery: number;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

export type FromZooWorker =
  | { type: 'ready'; backend: string; backendKind: 'cpu' | 'webgpu'; notice: string | null }
  | { type: 'step'; report: StepReport }
  | { type: 'checkpoint'; progress: BuildProgress }
  | { type: 'eval'; done: number; total: number }
  /** Stopped before the last step; the final progress checkpoint came just before. */
  | { type: 'stopped'; step: number }
  | { type: 'built'; files: CheckpointFiles; card: ZooCard }
  | { type: 'error'; message: string };
