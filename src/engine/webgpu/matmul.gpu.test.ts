// Kernel tier: every matmul variant in every layout (linear forward with bias, input gradient,
// accumulated weight gradient, bias gradient) against the CPU reference ops on ragged shapes, plus
// the per-adapter probe.
import { beforeAll, describe, expect, it } from 'vitest';
import { matmulBackward, matmulForward } from '../cpu/ops';
import { KernelRunner } from './kernel';
import { expectClose, randomArray } from './kernelTestKit';
import { MATMUL_BIAS_BACKWARD, MATMUL_VARIANTS, MatmulOps, probeMatmul, variantName } from './matmul';
import { acquireNodeGpu } from './node-gpu';

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

// (rows, IC, OC): ragged against the 4x4 register block and the 64-wide tile (the second crosses a
// tile; both take the scalar blocked / blocked8 fallback of vec4 / vec8); the third and fourth have
// every dimension a multiple of 4 but not all of 8, so the vec4 and vec8 kernels run with partial 8x8
// blocks; the last is a multiple of 8 everywhere.
const SHAPES: [number, number, number][] = [
  [37, 19, 23],
  [70, 33, 66],
  [68, 36, 24],
  [20, 12, 44],
  [64, 32, 16],
];

describe.each(MATMUL_VARIANTS.map((v) => [variantName(v), v] as const))('matmul %s', (_name, variant) => {
  it.each(SHAPES)(
    'linear forward and backward match the CPU ops at rows=%i IC=%i OC=%i',
    async (N, IC, OC) => {
      const ops = new MatmulOps(runner, variant);
      const x = randomArray(N * IC, 1, 0);
      const w = randomArray(OC * IC, 1, 1);
      const bias = randomArray(OC, 1, 2);
      const dy = randomArray(N * OC, 1, 3);
      const dwInit = randomArray(OC * IC, 1, 4); // gradients accumulate into what is there
      const dbInit = randomArray(OC, 1, 5);
      const want = new Float32Array(N * OC);
      matmulForward(want, x, w, bias, N, IC, OC);
      const wantDx = new Float32Array(N * IC);
      const wantDw = dwInit.slice();
      const wantDb = dbInit.slice();
      matmulBackward(wantDx, wantDw, wantDb, dy, x, w, N, IC, OC);

      const t = (name: string, data: Float32Array) => {
        const tensor = runner.pool.tensor(`mm.${name}`, data.length);
        runner.write(tensor, data);
        return tensor;
      };
      const gx = t('x', x);
      const gw = t('w', w);
      const gb = t('b', bias);
      const gdy = t('dy', dy);
      const gdw = t('dw', dwInit);
      const gdb = t('db', dbInit);
      const gy = runner.pool.tensor('mm.y', N * OC);
      const gdx = runner.pool.tensor('mm.dx', N * IC);
      const step = runner.begin('matmul test');
      ops.linearForward(step, gy, gx, gw, gb, N, IC, OC);
      ops.linearBackward(step, { dx: gdx, dweight: gdw, dbias: gdb }, gdy, gx, gw, N, IC, OC);
      const [y, dx, dw, db] = [step.read(gy), step.read(gdx), step.read(gdw), step.read(gdb)];
      await step.submit();
      const tol = { atol: 1e-5, rtol: 1e-4 };
      expectClose('y', await y, want, tol);
      expectClose('dx', await dx, wantDx, tol);
      expectClose('dweight', await dw, wantDw, tol);
      expectClose('dbias', await db, wantDb, tol);
    },
  );

  it.each([
    [9, 6, 5],
    [12, 8, 4],
  ])('accumulates into the input gradient when asked (%i x %i x %i)', async (N, IC, OC) => {
    const ops = new MatmulOps(runner, variant);
    const dy = randomArray(N * OC, 2, 0);
    const w = randomArray(OC * IC, 2, 1);
    const start = randomArray(N * IC, 2, 2);
    const want = new Float32Array(N * IC);
    matmulBackward(want, new Float32Array(OC * IC), null, dy, new Float32Array(N * IC), w, N, IC, OC);
    for (let i = 0; i < want.length; i++) want[i] += start[i];
    const gdy = runner.pool.tensor('acc.dy', dy.length);
    const gw = runner.pool.tensor('acc.w', w.length);
    const gdx = runner.pool.tensor('acc.dx', start.length);
    runner.write(gdy, dy);
    runner.write(gw, w);
    runner.write(gdx, start);
    const step = runner.begin('acc');
    ops.encode(step, 'nn', { a: gdy, b: gw, out: gdx }, N, IC, OC, true);
    const got = step.read(gdx);
    await step.submit();
    expectClose('dx accumulated', await got, want);
  });
});

describe('bias gradient', () => {
  it('the two-pass chunked kernels match the one-pass kernel and the CPU sums (M = 200, 4 ragged chunks)', async () => {
    const [M, N] = [200, 37];
    const dy = randomArray(M * N, 7, 0);
    const init = randomArray(N, 7, 1);
    const want = init.slice();
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) want[n] += dy[m * N + n];
    const gdy = runner.pool.tensor('bias.dy', M * N);
    const one = runner.pool.tensor('bias.one', N);
    const two = runner.pool.tensor('bias.two', N);
    runner.write(gdy, dy);
    runner.write(one, init);
    runner.write(two, init);
    const ops = new MatmulOps(runner, MATMUL_VARIANTS[0]);
    const step = runner.begin('bias');
    step.dispatch(MATMUL_BIAS_BACKWARD, { dy: gdy, dbias: one }, { M, N });
    ops.biasBackward(step, two, gdy, M, N);
    const [gotOne, gotTwo] = [step.read(one), step.read(two)];
    await step.submit();
    expectClose('one pass', await gotOne, want, { atol: 1e-5, rtol: 1e-4 });
    expectClose('two passes', await gotTwo, want, { atol: 1e-5, rtol: 1e-4 });
  });
});

describe('probeMatmul', () => {
  it('times every candidate once per adapter and caches the choice', async () => {
    const probe = await probeMatmul(runner, 32);
    expect(Object.keys(probe.msPerRun).sort()).toEqual(MATMUL_VARIANTS.map(variantName).sort());
    for (const ms of Object.values(probe.msPerRun)) expect(ms).toBeGreaterThan(0);
    // 32³ usually takes under PROBE_MIN_MS even on SwiftShader, and then the probe moves on to the
    // training mix; a loaded machine may stop at the square round.
    expect(probe.problem).toMatch(/^(nt 32³|nt\+nn\+tn, \d+ rows x 32)$/);
    const again = await probeMatmul(runner, 32);
    expect(again).toBe(probe);
  });

  it('probes started side by side share one measurement', async () => {
    // force: both calls would measure; the second joins the first instead of timing against it.
    const [a, b] = await Promise.all([probeMatmul(runner, 24, true), probeMatmul(runner, 24)]);
    expect(b).toBe(a);
  });
});
