// What the Model tools tab can load: a shipped zoo model, or a finished/paused/stopped run's latest
// checkpoint. Pure (no engine, no ORT) so the tab can list choices without loading the heavy module.
import { ZOO_FAMILY_NAMES } from '../../experiment/config/schema';
import type { RunRecord } from '../../experiment/persistence';

export type CheckpointChoice =
  | { kind: 'zoo'; family: string }
  | { kind: 'run'; runId: string; runName: string; family: string };

/** Runs whose checkpoint is settled: a running run's checkpoint changes under the user's feet. */
const SETTLED_STATES: RunRecord['state'][] = ['finished', 'paused', 'stopped'];

/** The choices, zoo models first, then settled real (not synthetic) runs, newest first. */
export function checkpointChoices(runs: readonly RunRecord[]): CheckpointChoice[] {
  const zoo: CheckpointChoice[] = ZOO_FAMILY_NAMES.map((family) => ({ kind: 'zoo', family }));
  const fromRuns: CheckpointChoice[] = [...runs]
    .reverse()
    .filter((run) => !run.synthetic && SETTLED_STATES.includes(run.state))
    .filter((run) => typeof run.config.model === 'string')
    .map((run) => ({ kind: 'run', runId: run.id, runName: run.name, family: run.config.model as string }));
  return [...zoo, ...fromRuns];
}

/** A stable key for a <select> option. */
export function choiceKey(choice: CheckpointChoice): string {
  return choice.kind === 'zoo' ? `zoo:${choice.family}` : `run:${choice.runId}`;
}

export function choiceLabel(choice: CheckpointChoice): string {
  return choice.kind === 'zoo' ? `${choice.family} (zoo)` : `${choice.runName} (run)`;
}

/**
 * The message for an error, with its `cause` chain (OrtError carries ORT's original error there), so
 * nothing ORT said is lost on the way to the page.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const text =
      current instanceof Error
        ? `${current.name === 'Error' ? '' : `${current.name}: `}${current.message}`
        : String(current);
    if (!parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' — caused by: ');
}
