// Kernel tier: the dispatcher itself (kernel.ts) — many dispatches with distinct uniforms in one step
// (crossing a uniform-arena chunk), bind-group and pipeline reuse, readback, pooled buffers, and the
// clear errors for configs that do not fit or buffers that alias a writable binding.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defineKernel,
  GpuCapacityError,
  gpuWorkOptions,
  gpuWorkTotals,
  grid1d,
  KernelRunner,
} from './kernel';
import { acquireNodeGpu } from './node-gpu';

const ADD = defineKernel({
  shader: 'elementwise',
  entryPoint: 'add_forward',
  bindings: { a: 'read', b: 'read', out: 'read_write' },
  uniforms: { n: 'u32', alpha: 'f32' },
  constants: { WORKGROUP_SIZE: 64 },
  dispatch: (u) => grid1d(u.n, 64),
});

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

describe('grid1d', () => {
  it('folds large counts into y within the per-dimension limit', () => {
    expect(grid1d(100, 64)).toEqual([2, 1]);
    const [x, y] = grid1d(70000 * 64, 64);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(70000);
  });
});

describe('KernelRunner', () => {
  it('runs 300 chained dispatches with their own uniforms in one submission', async () => {
    const n = 77; // ragged against the workgroup of 64
    const a = runner.pool.tensor('t.a', n);
    const b = runner.pool.tensor('t.b', n);
    const c = runner.pool.tensor('t.c', n);
    const av = new Float32Array(n).map((_, i) => Math.sin(i));
    const bv = new Float32Array(n).map((_, i) => Math.cos(0.3 * i));
    runner.write(a, av);
    runner.write(b, bv);
    // Ping-pong a <- a + alpha_k * b through c; expected a + (sum alpha_k) * b. 300 > 256 slots per chunk.
    const step = runner.begin('chain');
    let alphaSum = 0;
    const count = 300;
    for (let k = 0; k < count; k++) {
      const alpha = ((k % 7) - 3) * 0.01;
      alphaSum += alpha;
      if (k % 2 === 0) step.dispatch(ADD, { a, b, out: c }, { n, alpha });
      else step.dispatch(ADD, { a: c, b, out: a }, { n, alpha });
    }
    const result = step.read(count % 2 === 0 ? a : c);
    await step.submit();
    const got = await result;
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(av[i] + alphaSum * bv[i], 4);
    expect(step.dispatches).toBe(count);
    // Same shapes again: the pool returns the same buffers (no allocation); a smaller request is a
    // view of the same buffer that still computes on exactly its own elements.
    expect(runner.pool.tensor('t.a', n).buffer).toBe(a.buffer);
    const m = 40;
    const [a2, b2, c2] = ['t.a', 't.b', 't.c'].map((name) => runner.pool.tensor(name, m));
    expect(a2.buffer).toBe(a.buffer);
    const before = await runner.read(c2, m);
    await runner.run(ADD, { a: a2, b: b2, out: c2 }, { n: m, alpha: 0 });
    const after = await runner.read(c, n);
    const a2v = await runner.read(a2);
    for (let i = 0; i < m; i++) expect(after[i]).toBe(a2v[i]);
    expect(before.length).toBe(m);
  });

  it('reads back after copy and clear inside a step', async () => {
    const x = runner.tensor('x', 10);
    const y = runner.tensor('y', 10);
    runner.write(
      x,
      new Float32Array(10).map((_, i) => i + 1),
    );
    const step = runner.begin('copy');
    step.copy(x, y, 4, 2, 5);
    const copied = step.read(y);
    step.clear(x);
    const cleared = step.read(x);
    await step.submit();
    expect([...(await copied)]).toEqual([0, 0, 0, 0, 0, 3, 4, 5, 6, 0]);
    expect([...(await cleared)].every((v) => v === 0)).toBe(true);
  });

  it('refuses a buffer bound read_write and read in one dispatch', () => {
    const x = runner.pool.tensor('alias', 8);
    const step = runner.begin('alias');
    expect(() => step.dispatch(ADD, { a: x, b: x, out: x }, { n: 8, alpha: 1 })).toThrow(/read_write/);
    return step.submit();
  });

  it('times dispatches per kernel label when profiling (and runs untimed without timestamp-query)', async () => {
    const n = 100;
    const [a, b, out] = ['p.a', 'p.b', 'p.out'].map((name) => runner.pool.tensor(name, n));
    runner.timings(true);
    runner.profiling = true;
    const step = runner.begin('profiled');
    for (let i = 0; i < 3; i++) step.dispatch(ADD, { a, b, out }, { n, alpha: 1 });
    await step.submit();
    runner.profiling = false;
    const timings = runner.timings(true);
    if (runner.hasTimestampQuery) {
      expect(timings).toHaveLength(1);
      expect(timings[0]).toMatchObject({ label: 'elementwise.add_forward', count: 3 });
      expect(timings[0].ms).toBeGreaterThanOrEqual(0);
    } else {
      expect(timings).toEqual([]);
    }
  });

  it('adds GPU time in passes and host recording time to gpuWorkTotals when measure is on', async () => {
    const n = 4096;
    const [a, b, out] = ['w.a', 'w.b', 'w.out'].map((name) => runner.pool.tensor(name, n));
    // Two passes (the read in the middle ends the first), 200 dispatches each, from the same inputs.
    const record = () => {
      runner.write(a, new Float32Array(n).fill(1));
      runner.write(b, new Float32Array(n).fill(2));
      const step = runner.begin('busy');
      for (let i = 0; i < 200; i++) step.dispatch(ADD, { a, b, out }, { n, alpha: 1 });
      const mid = step.read(out, 4);
      for (let i = 0; i < 200; i++) step.dispatch(ADD, { a: out, b, out: a }, { n, alpha: 0 });
      return { step, mid, last: step.read(a, 4) };
    };
    const before = gpuWorkTotals.gpuMs;
    const hostBefore = gpuWorkTotals.hostMs;
    const untimed = record();
    await untimed.step.submit();
    expect(gpuWorkTotals.gpuMs).toBe(before);
    expect(gpuWorkTotals.hostMs).toBe(hostBefore);
    gpuWorkOptions.measure = true;
    try {
      const t0 = performance.now();
      const timed = record();
      await timed.step.submit();
      const wallMs = performance.now() - t0;
      // The results are the same with the timestamps in the passes.
      expect([...(await timed.mid)]).toEqual([...(await untimed.mid)]);
      expect([...(await timed.last)]).toEqual([...(await untimed.last)]);
      const gpuMs = gpuWorkTotals.gpuMs - before;
      // Recording 400 dispatches and two uploads takes some host time, less than the whole submission.
      const hostMs = gpuWorkTotals.hostMs - hostBefore;
      expect(hostMs).toBeGreaterThan(0);
      expect(hostMs).toBeLessThanOrEqual(wallMs);
      if (runner.hasTimestampQuery) {
        // Nanosecond ticks read as milliseconds: some GPU time, and no more than the submission took.
        expect(gpuMs).toBeGreaterThan(0);
        expect(gpuMs).toBeLessThanOrEqual(wallMs);
      } else {
        expect(gpuMs).toBe(0);
      }
    } finally {
      gpuWorkOptions.measure = false;
    }
  });

  it('explains a buffer larger than the adapter allows', () => {
    const tooBig = runner.limits.maxStorageBufferBindingSize / 4 + 1024;
    expect(() => runner.tensor('huge', tooBig)).toThrow(GpuCapacityError);
    expect(() => runner.tensor('huge', tooBig)).toThrow(/maxStorageBufferBindingSize/);
  });
});
