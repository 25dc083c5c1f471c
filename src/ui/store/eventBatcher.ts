// Collects runner events as they arrive (possibly hundreds a second) and hands them over once per
// animation frame, grouped by run: the store updates once per frame and the charts re-render once.
import type { HostEvent } from '../runTypes';

export type FrameScheduler = (flush: () => void) => void;

/** requestAnimationFrame where there is one; a 16 ms timer elsewhere (Node tests, hidden tabs still flush). */
export const animationFrameScheduler: FrameScheduler = (flush) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
  else setTimeout(flush, 16);
};

export interface EventBatcher {
  push: (runId: string, event: HostEvent) => void;
  /** Flushes now (e.g. before a reload-sensitive action or at the end of a run). */
  flush: () => void;
}

export function createEventBatcher(
  deliver: (batch: Map<string, HostEvent[]>) => void,
  schedule: FrameScheduler = animationFrameScheduler,
): EventBatcher {
  let pending = new Map<string, HostEvent[]>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    deliver(batch);
  };
  return {
    push: (runId, event) => {
      const list = pending.get(runId);
      if (list) list.push(event);
      else pending.set(runId, [event]);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
