// DEV-ONLY synthetic run host: replays made-up events (src/ui/syntheticRun.ts) on a timer so the charts,
// inspector and persistence can be exercised before the real training Worker exists. Runs it makes
// are flagged synthetic and labelled as such in the UI; production builds never select it.

import { syntheticRunEvents } from '../../experiment/syntheticRun';
import type { HostEvent } from '../runTypes';
import type { RunHost, RunHostFactory, StartRequest } from './runHost';

interface Playback {
  events: HostEvent[];
  next: number;
  timer: ReturnType<typeof setInterval> | null;
  stepsLeft: number;
}

export const createSyntheticHost: RunHostFactory = (emit) => {
  const playbacks = new Map<string, Playback>();
  const tick = (runId: string) => {
    const playback = playbacks.get(runId);
    if (!playback) return;
    // One tick = one step event plus the samples/evals/status that follow it.
    let emittedStep = false;
    while (playback.next < playback.events.length) {
      const event = playback.events[playback.next];
      if (event.type === 'step' && emittedStep) break;
      if (event.type === 'step') emittedStep = true;
      emit(runId, event);
      playback.next++;
    }
    playback.stepsLeft--;
    if (playback.next >= playback.events.length) {
      halt(playback);
      playbacks.delete(runId);
    } else if (playback.stepsLeft <= 0) {
      halt(playback);
      emit(runId, { type: 'status', state: 'paused', step: currentStep(playback) });
    }
  };
  const halt = (playback: Playback) => {
    if (playback.timer) clearInterval(playback.timer);
    playback.timer = null;
  };
  const play = (runId: string, steps: number) => {
    const playback = playbacks.get(runId);
    if (!playback || playback.timer) return;
    playback.stepsLeft = steps;
    emit(runId, { type: 'status', state: 'running', step: currentStep(playback) });
    playback.timer = setInterval(() => tick(runId), 120);
  };
  const host: RunHost = {
    real: false,
    start: (request: StartRequest) => {
      const { steps, seed, evalEvery } = request.config;
      const events = syntheticRunEvents(steps, seed, { evalEvery: evalEvery > 0 ? evalEvery : steps });
      playbacks.set(request.runId, { events: events.slice(1), next: 0, timer: null, stepsLeft: 0 });
      play(request.runId, request.maxSteps ?? Number.POSITIVE_INFINITY);
    },
    pause: (runId) => {
      const playback = playbacks.get(runId);
      if (!playback?.timer) return;
      halt(playback);
      emit(runId, { type: 'status', state: 'paused', step: currentStep(playback) });
    },
    resume: (runId) => play(runId, Number.POSITIVE_INFINITY),
    step: (runId) => play(runId, 1),
    stop: (runId) => {
      const playback = playbacks.get(runId);
      if (!playback) return;
      halt(playback);
      playbacks.delete(runId);
      emit(runId, { type: 'status', state: 'stopped', step: currentStep(playback) });
    },
    dispose: () => {
      for (const playback of playbacks.values()) halt(playback);
      playbacks.clear();
    },
  };
  return host;
};

function currentStep(playback: Playback): number {
  for (let i = playback.next - 1; i >= 0; i--) {
    const event = playback.events[i];
    if (event.type === 'step') return event.metrics.step;
  }
  return 0;
}
