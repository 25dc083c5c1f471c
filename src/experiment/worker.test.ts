// Unit tests of the training Worker's bookkeeping (worker.ts), with the model set-up and the runner
// replaced by fakes the test drives: every start ends with exactly one 'done' or 'fatal' (the page
// closes a Worker by counting them), a start replaced or stopped while setting up ends without
// computing, a replaced start's events never reach the page, commands reach the run they name, and a
// finished run's buffers are freed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EXPERIMENT } from './config/fields';
import { serializeExperiment } from './url';
import type { FromWorker, ToWorker } from './workerProtocol';

/** A runner whose run() ends when the test finishes it or it is stopped. */
class FakeRunner {
  static made: FakeRunner[] = [];
  calls: string[] = [];
  private end: ((result: 'finished' | 'stopped' | 'error') => void) | null = null;
  constructor(
    _plan: unknown,
    _parts: unknown,
    readonly emit: (event: unknown) => void,
  ) {
    FakeRunner.made.push(this);
  }
  run() {
    return new Promise<'finished' | 'stopped' | 'error'>((resolve) => {
      this.end = resolve;
    });
  }
  finish() {
    this.end?.('finished');
  }
  stop() {
    this.calls.push('stop');
    this.emit({ type: 'status', status: 'stopped' });
    this.end?.('stopped');
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
  stepWhilePaused(count: number) {
    this.calls.push(`step ${count}`);
  }
  async restore() {
    this.calls.push('restore');
  }
}

/** Set-ups the test resolves or rejects, in the order the Worker asked for them. */
const setups: { resolve: (run: unknown) => void; reject: (err: Error) => void }[] = [];
const released: unknown[] = [];

vi.mock('./assemble', () => ({
  assembleRun: () =>
    new Promise((resolve, reject) => {
      setups.push({ resolve, reject });
    }),
  releaseRun: (run: unknown) => released.push(run),
}));
vi.mock('./runner', () => ({ ExperimentRunner: FakeRunner }));

const assembled = () => ({
  plan: {},
  parts: {},
  backend: { kind: 'cpu', description: 'CPU engine' },
  trainingSetSize: 4,
  policy: {},
});

describe('the training Worker', () => {
  let posted: FromWorker[];
  let send: (message: ToWorker) => void;
  const hash = serializeExperiment(DEFAULT_EXPERIMENT);
  const start = (runId: string): Extract<ToWorker, { type: 'start' }> => ({
    type: 'start',
    runId,
    hash,
    seed: 1,
    baseUrl: 'http://lab.test/',
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const endings = (runId: string) =>
    posted.filter((m) => (m.type === 'done' || m.type === 'fatal') && m.runId === runId);

  beforeEach(async () => {
    posted = [];
    setups.length = 0;
    released.length = 0;
    FakeRunner.made = [];
    const scope: { postMessage: (m: FromWorker) => void; onmessage?: (e: { data: ToWorker }) => void } = {
      postMessage: (m) => posted.push(m),
    };
    vi.stubGlobal('self', scope);
    vi.resetModules();
    await import('./worker');
    send = (message) => scope.onmessage?.({ data: message });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('computes several runs at once, each command reaching the run it names, one done each', async () => {
    send(start('a'));
    send(start('b'));
    await settle();
    setups[0].resolve(assembled());
    setups[1].resolve(assembled());
    await settle();
    expect(posted.filter((m) => m.type === 'ready').map((m) => m.runId)).toEqual(['a', 'b']);
    const [a, b] = FakeRunner.made;
    send({ type: 'pause', runId: 'b' });
    send({ type: 'step', runId: 'a', count: 2 });
    expect([a.calls, b.calls]).toEqual([['step 2'], ['pause']]);
    a.finish();
    await settle();
    expect(endings('a')).toEqual([{ type: 'done', runId: 'a', result: 'finished' }]);
    expect(endings('b')).toEqual([]);
    expect(released).toHaveLength(1);
    send({ type: 'stop', runId: 'b' });
    await settle();
    expect(endings('b')).toEqual([{ type: 'done', runId: 'b', result: 'stopped' }]);
    expect(released).toHaveLength(2);
  });

  it('ends a start replaced while setting up without computing it, and hides what it says', async () => {
    send(start('a'));
    await settle();
    send({ ...start('a'), checkpoint: undefined, paused: true });
    await settle();
    setups[0].resolve(assembled()); // the replaced start's set-up finishes after the restart
    await settle();
    expect(posted.filter((m) => m.type === 'ready')).toEqual([]);
    expect(endings('a')).toEqual([{ type: 'done', runId: 'a', result: 'stopped' }]);
    expect(released).toHaveLength(1);
    setups[1].resolve(assembled());
    await settle();
    expect(posted.filter((m) => m.type === 'ready')).toHaveLength(1);
    expect(FakeRunner.made).toHaveLength(1);
    expect(FakeRunner.made[0].calls).toEqual(['pause']); // started paused, as the restart asked
  });

  it("silences a running start once it is replaced: only its closing 'done' is posted", async () => {
    send(start('a'));
    await settle();
    setups[0].resolve(assembled());
    await settle();
    const before = posted.length;
    send(start('a'));
    await settle();
    // The old runner was stopped and said 'stopped'; the page hears only that the start ended (and the
    // new start's own set-up).
    expect(posted.slice(before).filter((m) => m.type !== 'setup')).toEqual([
      { type: 'done', runId: 'a', result: 'stopped' },
    ]);
  });

  it('ends a start stopped while setting up (it has no runner yet)', async () => {
    send(start('a'));
    await settle();
    send({ type: 'stop', runId: 'a' });
    setups[0].resolve(assembled());
    await settle();
    expect(FakeRunner.made).toEqual([]);
    expect(endings('a')).toEqual([{ type: 'done', runId: 'a', result: 'stopped' }]);
  });

  it("reports a failed set-up as the run's 'fatal', and a replaced start's failure as a plain end", async () => {
    send(start('a'));
    await settle();
    setups[0].reject(new Error('model missing'));
    await settle();
    expect(endings('a')).toEqual([{ type: 'fatal', runId: 'a', message: 'model missing' }]);
    send(start('b'));
    await settle();
    send(start('b'));
    await settle();
    setups[1].reject(new Error('lost race'));
    await settle();
    expect(endings('b')).toEqual([{ type: 'done', runId: 'b', result: 'stopped' }]);
  });

  it("turns anything thrown after set-up into the run's one 'fatal'", async () => {
    send({ ...start('a'), checkpoint: {} as never });
    await settle();
    vi.spyOn(FakeRunner.prototype, 'restore').mockRejectedValueOnce(new Error('checkpoint does not fit'));
    setups[0].resolve(assembled());
    await settle();
    expect(endings('a')).toEqual([{ type: 'fatal', runId: 'a', message: 'checkpoint does not fit' }]);
    expect(released).toHaveLength(1);
  });

  it('refuses an invalid experiment with its field errors', async () => {
    send({ ...start('a'), hash: 'v=1&lr=-1' });
    await settle();
    expect(endings('a')).toEqual([
      { type: 'fatal', runId: 'a', message: expect.stringMatching(/^Invalid experiment: /) },
    ]);
  });
});
