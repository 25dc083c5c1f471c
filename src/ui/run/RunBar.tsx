// The run bar: play / pause / step / reset, a progress bar with step count, ETA and tokens/s, and the
// device badge. Progress text changes every step, so it is written by a transient store subscription
// straight into the DOM instead of re-rendering the bar.
import { useEffect, useRef } from 'react';
import { DeviceBadge } from '../DeviceBadge';
import { formatDuration } from '../formatDuration';
import { blockedReason } from '../store/experimentSlice';
import type { LabState } from '../store/labStore';
import { useLabStore } from '../store/labStore';
import { useLabRuntime } from '../store/runtimeStore';
import { estimateRunSeconds, longRunQuestion } from './estimate';

export function RunBar() {
  const { controller, unavailableReason } = useLabRuntime();
  const activeRun = useLabStore((s) => (s.activeRunId ? s.runs[s.activeRunId] : null));
  // Setting up counts as running for the buttons: Pause is there from the first press (and Space).
  const running =
    activeRun?.state === 'running' || (activeRun?.state === 'idle' && controller?.starting === true);
  const blocked = useLabStore(blockedReason);
  const play = () => {
    if (controller) playIfSensible(controller, useLabStore.getState());
  };
  const pause = () => controller?.pause();

  return (
    <section className="run-bar" aria-label="Run controls">
      <div className="run-buttons">
        {running ? (
          <button
            type="button"
            className="primary"
            onClick={pause}
            disabled={!controller}
            aria-keyshortcuts="Space"
          >
            ❚❚ Pause
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            onClick={play}
            disabled={!controller || blocked !== null}
            aria-keyshortcuts="Space"
            aria-describedby={blocked ? 'run-blocked' : undefined}
            title={blocked ?? unavailableReason ?? 'Start or resume (space)'}
          >
            ▶ Play
          </button>
        )}
        <button
          type="button"
          onClick={() => controller?.step(useLabStore.getState().config)}
          disabled={!controller || running || blocked !== null}
          aria-keyshortcuts="S"
          title="Run one step, then pause (s)"
        >
          Step
        </button>
        <button
          type="button"
          onClick={() => controller?.reset()}
          disabled={!controller}
          aria-keyshortcuts="R"
          title="Stop and start over with the current experiment (r)"
        >
          Reset
        </button>
      </div>
      <Progress />
      <DeviceBadge />
      {blocked && (
        <p className="run-blocked" id="run-blocked" role="alert" data-testid="run-blocked">
          {blocked}
        </p>
      )}
      {unavailableReason && !controller && (
        <p className="run-unavailable" role="status">
          {unavailableReason}
        </p>
      )}
      {activeRun?.message && (
        <p className={`run-message${activeRun.state === 'error' ? ' run-message--error' : ''}`} role="status">
          {activeRun.message}
        </p>
      )}
      <TruncationWarning />
    </section>
  );
}

/**
 * Says so when most of the shown run's rollouts hit the max-tokens limit: a cut-off answer scores 0, so
 * accuracy reads 0% for a reason the charts alone do not show.
 */
function TruncationWarning() {
  const text = useLabStore(truncationWarning);
  return text ? (
    <p className="run-message" role="status" data-testid="truncation-warning">
      {text}
    </p>
  ) : null;
}

/** The warning for the shown run's latest step, or null when fewer than half its rollouts were cut off. */
export function truncationWarning(state: Pick<LabState, 'activeRunId' | 'runs' | 'series'>): string | null {
  const run = state.activeRunId ? state.runs[state.activeRunId] : null;
  const last = run ? state.series[run.id]?.steps.at(-1) : undefined;
  if (!run || !last || !(last.truncatedShare >= 0.5)) return null;
  const limit = (run.config as { maxNewTokens?: number }).maxNewTokens;
  return `${Math.round(100 * last.truncatedShare)}% of the last step's rollouts hit the max-tokens limit${limit ? ` (${limit})` : ''}: a cut-off answer scores 0. Raise "Max new tokens" (Rollouts, advanced) if that is not the point.`;
}

/** Progress of the active run; text and bar width are updated transiently, once per store change. */
function Progress() {
  const barRef = useRef<HTMLDivElement>(null);
  const textRef = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const render = (state: LabState) => {
      const progress = describeProgress(state);
      if (barRef.current) {
        barRef.current.style.width = `${(progress.fraction * 100).toFixed(1)}%`;
        barRef.current.parentElement?.setAttribute('aria-valuenow', String(progress.done));
        barRef.current.parentElement?.setAttribute('aria-valuemax', String(progress.total));
      }
      if (textRef.current) textRef.current.textContent = progress.text;
    };
    render(useLabStore.getState());
    return useLabStore.subscribe(render);
  }, []);
  return (
    <div className="progress" data-testid="run-progress">
      <div className="progress-track" role="progressbar" aria-label="Training progress" aria-valuemin={0}>
        <div className="progress-fill" ref={barRef} />
      </div>
      <span className="progress-text" ref={textRef} data-testid="progress-text" />
    </div>
  );
}

/**
 * Play, unless a refused value is on screen, and after asking when a NEW run would take over an hour
 * on this device (resuming a paused run never asks).
 */
export function playIfSensible(
  controller: { play: (config: LabState['config']) => Promise<void> },
  state: LabState,
  confirm: (question: string) => boolean = (q) => window.confirm(q),
): void {
  if (blockedReason(state)) return;
  const active = state.activeRunId ? state.runs[state.activeRunId] : null;
  if (active?.state !== 'paused') {
    const measured = Object.values(state.runs)
      .filter((r) => !r.synthetic)
      .map((r) => {
        const c = r.config as Partial<LabState['config']>;
        return {
          rollouts: (c.promptsPerStep ?? 0) * (c.groupSize ?? 0),
          steps: state.series[r.id]?.steps ?? [],
        };
      })
      .filter((m) => m.rollouts > 0);
    const question = longRunQuestion(state.config, estimateRunSeconds(state.config, measured));
    if (question && !confirm(question)) return;
  }
  void controller.play(state.config);
}

export interface ProgressView {
  done: number;
  total: number;
  fraction: number;
  text: string;
}

/**
 * Steps done of the active run, its ETA from the mean step time so far, and the last tokens/s. In a
 * sweep the text says which seed is shown and how many compute ("Seed 2 of 4 (2 running)") and the ETA
 * covers every seed's remaining steps, shared among the seeds running side by side.
 */
export function describeProgress(state: Pick<LabState, 'activeRunId' | 'runs' | 'series'>): ProgressView {
  const run = state.activeRunId ? state.runs[state.activeRunId] : null;
  if (!run) return { done: 0, total: 0, fraction: 0, text: 'No run yet' };
  const stepsOf = (id: string) => state.series[id]?.steps ?? [];
  const doneOf = (id: string) => {
    const steps = stepsOf(id);
    return steps.length ? steps[steps.length - 1].step + 1 : 0;
  };
  const steps = stepsOf(run.id);
  const done = doneOf(run.id);
  const total = run.totalSteps;
  const last = steps[steps.length - 1];
  const sweep = run.sweepId
    ? Object.values(state.runs)
        .filter((r) => r.sweepId === run.sweepId)
        .sort((a, b) => a.seed - b.seed)
    : [run];
  const timed = sweep.flatMap((r) => stepsOf(r.id));
  const stepMs =
    timed.reduce((sum, s) => sum + s.timeRolloutMs + s.timeScoringMs + s.timeLogprobsMs + s.timeUpdateMs, 0) /
    Math.max(1, timed.length);
  const remaining = sweep.reduce((sum, r) => sum + Math.max(0, r.totalSteps - doneOf(r.id)), 0);
  // Seeds computing side by side share the remaining steps (each step time is one seed's own).
  const running = sweep.filter((r) => r.state === 'running').length;
  const eta =
    run.state === 'running' && timed.length
      ? ` · ETA ${formatDuration((remaining * stepMs) / Math.max(1, running) / 1000)}${sweep.length > 1 ? ' for the sweep' : ''}`
      : '';
  const speed = last ? ` · ${Math.round(last.rolloutTokensPerSec)} tok/s` : '';
  const which =
    sweep.length > 1
      ? `Seed ${sweep.indexOf(run) + 1} of ${sweep.length}${running > 1 ? ` (${running} running)` : ''} · `
      : '';
  return {
    done,
    total,
    fraction: total > 0 ? Math.min(1, done / total) : 0,
    // 'idle' is a run whose Worker is still loading the model: say what the user is waiting for.
    text: `${which}Step ${done} / ${total} · ${run.state === 'idle' ? 'starting' : run.state}${eta}${speed}`,
  };
}
