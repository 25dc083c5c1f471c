// How long an experiment would take on this device, before it starts: the mean step time of the runs
// this browser has measured, scaled by rollouts per step (B x G), or the CPU engine's measured ~2.6 s for
// a preset step (8 x 16) when nothing has run yet. Play asks before starting anything over an hour.
import type { ExperimentConfig } from '../../experiment/config/schema';
import type { StepMetrics } from '../runTypes';

/** CPU engine, zoo model, B 8 x G 16, 8 updates (measured, issue 16): the estimate with no history. */
const DEFAULT_MS_PER_ROLLOUT = 2600 / 128;
export const CONFIRM_ABOVE_SECONDS = 3600;

export function estimateRunSeconds(
  config: Pick<ExperimentConfig, 'steps' | 'seeds' | 'promptsPerStep' | 'groupSize'>,
  measured: readonly { rollouts: number; steps: readonly StepMetrics[] }[] = [],
): number {
  let ms = 0;
  let rollouts = 0;
  for (const run of measured)
    for (const s of run.steps) {
      ms += s.timeRolloutMs + s.timeScoringMs + s.timeLogprobsMs + s.timeUpdateMs;
      rollouts += run.rollouts;
    }
  const msPerRollout = rollouts > 0 ? ms / rollouts : DEFAULT_MS_PER_ROLLOUT;
  return (config.steps * config.seeds * config.promptsPerStep * config.groupSize * msPerRollout) / 1000;
}

/** The question Play asks for a run over an hour, or null when it should just start. */
export function longRunQuestion(
  config: Pick<ExperimentConfig, 'steps' | 'seeds' | 'promptsPerStep' | 'groupSize'>,
  seconds: number,
): string | null {
  if (seconds <= CONFIRM_ABOVE_SECONDS) return null;
  const hours = seconds / 3600;
  const shown = hours >= 48 ? `${Math.round(hours / 24)} days` : `${hours.toFixed(hours < 10 ? 1 : 0)} hours`;
  return `This experiment would take about ${shown} on this device (${config.steps} steps × ${config.seeds} seed${config.seeds === 1 ? '' : 's'}, ${config.promptsPerStep} × ${config.groupSize} rollouts per step). Start it anyway?`;
}
