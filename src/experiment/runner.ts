// Runs one experiment to completion on any backend, in any host (the browser's Web Worker or the Node
// CLI): initial eval, GRPO steps, periodic evals, checkpoints every N steps; emits events as they
// happen; honours pause / resume / stop; resumes from a checkpoint with the identical trajectory (all
// randomness is keyed by seed and step, so the only state is parameters, optimizer moments and step).
import type { EngineModel } from '../engine/backend';
import { type EvalSettings, evaluate, type GreedyRecord } from '../rl/evaluate';
import type { EvalMetrics, RolloutSample, StepMetrics } from '../rl/metrics';
import {
  type GrpoSettings,
  GrpoTrainer,
  NonFiniteError,
  type PromptExample,
  type TrainerParts,
} from '../rl/trainer';

/** Everything a run needs once the experiment config is resolved against a host. */
export interface RunPlan {
  steps: number;
  /** Evaluate every N steps (0: only before and after). */
  evalEvery: number;
  /** Checkpoint every N steps (0: only at the end). */
  checkpointEvery: number;
  grpo: GrpoSettings;
  eval: EvalSettings;
}

export interface RunCheckpoint {
  /** Steps completed: the next step to run. */
  step: number;
  params: Float32Array;
  optimizer: { step: number; m: Float32Array; v: Float32Array };
  /** The initial model's greedy eval records, for the transition table. */
  initialGreedy: GreedyRecord[] | null;
}

export type RunEvent =
  | { type: 'status'; state: 'running' | 'paused' | 'stopped' | 'finished'; step: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'samples'; samples: RolloutSample[] }
  | { type: 'checkpoint'; checkpoint: RunCheckpoint }
  | { type: 'error'; step: number; message: string; quantity?: string };

export interface RunParts extends Omit<TrainerParts, 'policy' | 'reference'> {
  policy: EngineModel;
  reference?: EngineModel;
  evalProblems: PromptExample[];
}

type Listener = (event: RunEvent) => void;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class ExperimentRunner {
  private state: 'idle' | 'running' | 'paused' | 'stopping' | 'stopped' | 'finished' = 'idle';
  private resumeWaiter: (() => void) | null = null;
  /** Steps the user asked for while paused (the "step" button): run them, stay paused. */
  private stepBudget = 0;
  private nextStep = 0;
  /** The step of the last checkpoint emitted (or restored): a pause only adds one when it is newer. */
  private checkpointStep = -1;
  private initialGreedy: GreedyRecord[] | null = null;
  private readonly trainer: GrpoTrainer;

  constructor(
    private readonly plan: RunPlan,
    private readonly parts: RunParts,
    private readonly emit: Listener,
  ) {
    this.trainer = new GrpoTrainer(plan.grpo, { ...parts, policy: parts.policy, reference: parts.reference });
  }

  /** Read through a method so TypeScript does not narrow the field across awaits (pause() changes it). */
  private current(): typeof this.state {
    return this.state;
  }

  get step(): number {
    return this.nextStep;
  }

  /** Restores parameters, optimizer state and position from a checkpoint before run(). */
  async restore(checkpoint: RunCheckpoint): Promise<void> {
    await this.parts.policy.writeParameters(checkpoint.params);
    await this.parts.policy.writeOptimizerState(checkpoint.optimizer);
    this.nextStep = checkpoint.step;
    this.checkpointStep = checkpoint.step;
    this.initialGreedy = checkpoint.initialGreedy;
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state === 'paused') {
      this.state = 'running';
      this.resumeWaiter?.();
      this.resumeWaiter = null;
    }
  }

  /** While paused: run `count` more steps, then stay paused. */
  stepWhilePaused(count = 1): void {
    if (this.state === 'paused') {
      this.stepBudget += count;
      this.resumeWaiter?.();
      this.resumeWaiter = null;
    }
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused') {
      this.state = 'stopping';
      this.resumeWaiter?.();
      this.resumeWaiter = null;
    }
  }

  /**
   * Runs until all steps are done, stop() is called, or `maxSteps` more steps have run (the UI's
   * "step" button). Non-finite values stop the run with an error event naming the step and the
   * quantity; the last checkpoint and all metrics so far were already emitted.
   */
  async run(maxSteps = Number.POSITIVE_INFINITY): Promise<'finished' | 'stopped' | 'error'> {
    this.state = 'running';
    this.emit({ type: 'status', state: 'running', step: this.nextStep });
    try {
      if (this.nextStep === 0 && this.initialGreedy === null) {
        this.initialGreedy = await this.runEval(0);
      }
      let ran = 0;
      while (this.nextStep < this.plan.steps && ran < maxSteps) {
        if (this.current() === 'paused' && this.stepBudget === 0) {
          await this.checkpointIfNew();
          this.emit({ type: 'status', state: 'paused', step: this.nextStep });
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
          });
          if (this.current() === 'running')
            this.emit({ type: 'status', state: 'running', step: this.nextStep });
        }
        if (this.current() === 'stopping') break;
        // The CPU engine never waits on anything, so without this the whole run would be one long
        // task: pause/stop messages (Worker postMessage, UI clicks) could not arrive between steps.
        await yieldToEventLoop();
        if (this.current() === 'paused' && this.stepBudget > 0) this.stepBudget--;
        else if (this.current() !== 'running') continue;
        const step = this.nextStep;
        const { metrics, samples } = await this.trainer.step(step);
        this.nextStep = step + 1;
        ran++;
        this.emit({ type: 'step', metrics });
        this.emit({ type: 'samples', samples });
        const done = this.nextStep === this.plan.steps;
        if (done || (this.plan.evalEvery > 0 && this.nextStep % this.plan.evalEvery === 0))
          await this.runEval(this.nextStep);
        if (done || (this.plan.checkpointEvery > 0 && this.nextStep % this.plan.checkpointEvery === 0))
          await this.checkpointIfNew();
      }
    } catch (err) {
      this.state = 'stopped';
      if (err instanceof NonFiniteError) {
        this.emit({ type: 'error', step: err.step, message: err.message, quantity: err.quantity });
      } else {
        this.emit({
          type: 'error',
          step: this.nextStep,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      this.emit({ type: 'status', state: 'stopped', step: this.nextStep });
      return 'error';
    }
    if (this.nextStep >= this.plan.steps) {
      this.state = 'finished';
      this.emit({ type: 'status', state: 'finished', step: this.nextStep });
      return 'finished';
    }
    if (this.current() === 'stopping') {
      this.state = 'stopped';
      this.emit({ type: 'status', state: 'stopped', step: this.nextStep });
      return 'stopped';
    }
    this.state = 'paused';
    await this.checkpointIfNew();
    this.emit({ type: 'status', state: 'paused', step: this.nextStep });
    return 'stopped';
  }

  /**
   * Emits a checkpoint of the current step unless one was already emitted there. Pausing keeps one too,
   * so a paused run that is reloaded (or whose device is lost) resumes where it stopped, not at the
   * last periodic checkpoint; a step with nothing trained yet has nothing to keep.
   */
  private async checkpointIfNew(): Promise<void> {
    if (this.nextStep === 0 || this.checkpointStep === this.nextStep) return;
    this.checkpointStep = this.nextStep;
    this.emit({ type: 'checkpoint', checkpoint: await this.checkpoint() });
  }

  async checkpoint(): Promise<RunCheckpoint> {
    return {
      step: this.nextStep,
      params: await this.parts.policy.readParameters(),
      optimizer: await this.parts.policy.readOptimizerState(),
      initialGreedy: this.initialGreedy,
    };
  }

  private async runEval(step: number): Promise<GreedyRecord[]> {
    const { metrics, greedy } = await evaluate(
      this.parts.policy,
      this.parts.codec,
      this.parts.formatPrompt,
      this.parts.evalProblems,
      this.plan.eval,
      step,
      this.initialGreedy ?? undefined,
    );
    this.emit({ type: 'eval', metrics });
    return greedy;
  }
}
