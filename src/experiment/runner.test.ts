// Runner tests: a run resumed from a mid-run checkpoint continues exactly like the uninterrupted run,
// pause/resume/stop behave (a pause keeps a checkpoint), and a non-finite loss ends the run with an
// error event naming the step and the quantity while the checkpoints and metrics emitted before it stay
// valid.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { initParameters } from '../model/layout';
import { codec, config, deterministicPart, parts, QUESTIONS, settings } from '../rl/trainerFixtures';
import { formatPrompt } from '../tasks/format';
import { ExperimentRunner, type RunCheckpoint, type RunEvent, type RunPlan } from './runner';

const plan = (steps: number, checkpointEvery = 0): RunPlan => ({
  steps,
  evalEvery: 2,
  checkpointEvery,
  grpo: settings({ ppoEpochs: 2, lr: 3e-3 }),
  eval: { k: 2, temperature: 1, topP: 1, maxNewTokens: 12, seed: 9, batchSize: 8 },
});

async function makeRunner(p: RunPlan, events: RunEvent[], params = initParameters(config, 21)) {
  const policy = await new CpuBackend().createModel(config, params);
  const runner = new ExperimentRunner(
    p,
    { ...parts(policy, 'random'), codec, formatPrompt, evalProblems: QUESTIONS },
    (e) => events.push(e),
  );
  return { runner, policy };
}

describe('ExperimentRunner', () => {
  it('resuming from a checkpoint gives the identical trajectory', async () => {
    const full: RunEvent[] = [];
    const { runner: a, policy: pa } = await makeRunner(plan(4), full);
    expect(await a.run()).toBe('finished');

    const firstHalf: RunEvent[] = [];
    const { runner: b } = await makeRunner(plan(4, 2), firstHalf);
    expect(await b.run(2)).toBe('stopped'); // the UI's "step" button: ran 2 steps, then paused
    const checkpoint = firstHalf.find(
      (e): e is { type: 'checkpoint'; checkpoint: RunCheckpoint } => e.type === 'checkpoint',
    )!.checkpoint;
    expect(checkpoint.step).toBe(2);

    const secondHalf: RunEvent[] = [];
    // A fresh model from different weights: restore() must bring everything back.
    const { runner: c, policy: pc } = await makeRunner(plan(4, 2), secondHalf, initParameters(config, 99));
    await c.restore(checkpoint);
    expect(await c.run()).toBe('finished');

    const steps = (events: RunEvent[]) =>
      events.flatMap((e) => (e.type === 'step' ? [deterministicPart(e.metrics)] : []));
    expect([...steps(firstHalf), ...steps(secondHalf)]).toEqual(steps(full));
    expect(await pc.readParameters()).toEqual(await pa.readParameters());
    const evals = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'eval' ? [e.metrics] : []));
    expect(evals(secondHalf).at(-1)).toEqual(evals(full).at(-1));
    // The transition table compares with the initial model even after a resume.
    expect(evals(secondHalf).at(-1)!.transitions).toBeDefined();
  }, 180_000);

  it('pauses, resumes and stops on request', async () => {
    const events: RunEvent[] = [];
    const { runner } = await makeRunner(plan(6), events);
    const done = runner.run();
    // Pause as soon as the first step lands, check nothing advances, then resume and stop.
    while (!events.some((e) => e.type === 'step')) await new Promise((r) => setTimeout(r, 5));
    runner.pause();
    await new Promise((r) => setTimeout(r, 300));
    const pausedAt = runner.step;
    expect(events.some((e) => e.type === 'status' && e.state === 'paused')).toBe(true);
    // Pausing keeps a checkpoint of the paused step (no periodic ones in this plan), emitted before the
    // paused status, so a reload of a paused run resumes exactly where it stopped.
    const pausedIndex = events.findIndex((e) => e.type === 'status' && e.state === 'paused');
    const kept = events.slice(0, pausedIndex).filter((e) => e.type === 'checkpoint');
    expect(kept.map((e) => (e as { checkpoint: RunCheckpoint }).checkpoint.step)).toEqual([pausedAt]);
    await new Promise((r) => setTimeout(r, 300));
    expect(runner.step).toBe(pausedAt);
    runner.resume();
    while (runner.step < pausedAt + 1) await new Promise((r) => setTimeout(r, 5));
    runner.stop();
    expect(await done).toBe('stopped');
    expect(runner.step).toBeLessThan(6);
    expect(events.at(-1)).toMatchObject({ type: 'status', state: 'stopped' });
  }, 180_000);

  it('a non-finite loss ends the run with an error event naming step and quantity', async () => {
    const events: RunEvent[] = [];
    const params = initParameters(config, 21);
    params.fill(Number.NaN, 0, 40);
    const { runner } = await makeRunner({ ...plan(3), evalEvery: 0 }, events, params);
    expect(await runner.run()).toBe('error');
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ type: 'error', step: 0, quantity: 'policy loss' });
    expect((error as { message: string }).message).toMatch(/step 0/);
  }, 60_000);
});
