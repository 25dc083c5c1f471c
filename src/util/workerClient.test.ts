// Unit tests of the generic worker client with a stand-in Worker: the Worker starts with the first
// send (not with a control message), messages reach the listener, a crash becomes the job's typed
// failure and the next send starts a fresh Worker, terminate closes it.
import { describe, expect, it } from 'vitest';
import { WorkerClient } from './workerClient';

type To = { type: 'start' } | { type: 'pause' };
type From = { type: 'done' } | { type: 'failed'; why: string };

class FakeWorker {
  posted: unknown[] = [];
  terminated = false;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  terminate() {
    this.terminated = true;
  }
}

function setUp() {
  const workers: FakeWorker[] = [];
  const received: From[] = [];
  const client = new WorkerClient<To, From>({
    create: () => {
      const worker = new FakeWorker();
      workers.push(worker);
      return worker as unknown as Worker;
    },
    onMessage: (message) => received.push(message),
    crashed: (why) => ({ type: 'failed', why }),
  });
  return { client, workers, received };
}

describe('WorkerClient', () => {
  it('starts the Worker lazily and passes its messages on', () => {
    const { client, workers, received } = setUp();
    client.sendIfRunning({ type: 'pause' });
    expect(workers).toHaveLength(0);
    client.send({ type: 'start' });
    client.sendIfRunning({ type: 'pause' });
    expect(workers).toHaveLength(1);
    expect(workers[0].posted).toEqual([{ type: 'start' }, { type: 'pause' }]);
    workers[0].onmessage?.({ data: { type: 'done' } });
    expect(received).toEqual([{ type: 'done' }]);
  });

  it('turns a crash into the typed failure and starts afresh on the next send', () => {
    const { client, workers, received } = setUp();
    client.send({ type: 'start' });
    workers[0].onerror?.({ message: 'boom' });
    expect(received).toEqual([{ type: 'failed', why: 'boom' }]);
    client.sendIfRunning({ type: 'pause' });
    expect(workers[0].posted).toEqual([{ type: 'start' }]);
    client.send({ type: 'start' });
    expect(workers).toHaveLength(2);
  });

  it('terminate closes the Worker', () => {
    const { client, workers } = setUp();
    client.send({ type: 'start' });
    client.terminate();
    expect(workers[0].terminated).toBe(true);
    client.sendIfRunning({ type: 'pause' });
    expect(workers[0].posted).toEqual([{ type: 'start' }]);
  });
});
