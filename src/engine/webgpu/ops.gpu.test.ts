// Kernel tier: every non-matmul entry point (embedding, RMSNorm, RoPE, SwiGLU, residual / in-place
// add, log-softmax with gather and entropy, grad norm + clip, AdamW) forward and backward against the
// CPU reference ops on seeded random inputs with ragged sizes.

import { beforeAll, describe, expect, it } from 'vitest';
import { adamwStep } from '../cpu/adamw';
import {
  embeddingBackward,
  embeddingForward,
  logSoftmaxBackward,
  logSoftmaxForward,
  rmsnormBackward,
  rmsnormForward,
  ropeBackward,
  ropeForward,
  swigluBackward,
  swigluForward,
} from '../cpu/ops';
import { ropeTables } from '../rope';
import { type GpuTensor, KernelRunner } from './kernel';
import { expectClose, randomArray, randomInts } from './kernelTestKit';
import { acquireNodeGpu } from './node-gpu';
import * as gpu from './ops';

let runner: KernelRunner;
beforeAll(async () => {
  runner = new KernelRunner(await acquireNodeGpu());
});

/** A pooled tensor filled with data (or zeros of the given length). */
function upload(name: string, data: Float32Array | Int32Array | Uint32Array | number): GpuTensor {
  const n = typeof data === 'number' ? data : data.length;
  const t = runner.pool.tensor(`ops.${name}`, n);
  runner.write(t, typeof data === 'number' ? new Float32Array(n) : data);
  return t;
}

const TOL = { atol: 1e-5, rtol: 1e-4 };

describe('embedding', () => {
  it('forward gathers rows and backward gather-reduces repeated ids', async () => {
    const [N, V, C] = [29, 13, 7];
    const tokens = randomInts(N, V, 3); // 29 ids over 13 rows: repeats and unused rows
    const table = randomArray(V * C, 3, 1);
    const dout = randomArray(N * C, 3, 2);
    const dInit = randomArray(V * C, 3, 3);
    const want = new Float32Array(N * C);
    embeddingForward(want, tokens, table, N, V, C);
    const wantD = dInit.slice();
    embeddingBackward(wantD, dout, tokens, N, V, C);
    const { offsets, rows } = gpu.embeddingRowsByToken(tokens, V);
    const out = upload('emb.out', N * C);
    const dtable = upload('emb.dtable', dInit);
    const step = runner.begin();
    gpu.embeddingForward(step, out, upload('emb.tokens', tokens), upload('emb.table', table), N, V, C);
    gpu.embeddingBackward(
      step,
      dtable,
      upload('emb.dout', dout),
      upload('emb.offsets', offsets),
      upload('emb.rows', rows),
      N,
      V,
      C,
    );
    const [got, gotD] = [step.read(out), step.read(dtable)];
    await step.submit();
    expectClose('embedding out', await got, want, { atol: 0, rtol: 0 });
    expectClose('dtable', await gotD, wantD, TOL);
  });

  it('rejects an out-of-range id on the host', () => {
    expect(() => gpu.embeddingRowsByToken(new Int32Array([0, 5]), 5)).toThrow(/outside/);
  });
});

describe('rmsnorm', () => {
  // C = 19 runs the scalar kernels, C = 20 their vec4 twins. N = 150 with a scratch runs the two-pass
  // weight gradient over 3 chunks of 64 rows (the last one ragged).
  it.each([
    [false, 19, 23, false],
    [true, 19, 23, false],
    [false, 20, 23, false],
    [true, 20, 23, false],
    [true, 19, 150, true],
    [false, 20, 150, true],
  ])(
    'forward and backward match (accumulate input grad: %s, C = %i, N = %i, two-pass weight gradient: %s)',
    async (accumulate, C, N, twoPass) => {
      const eps = 1e-6;
      const x = randomArray(N * C, 4, 0, 2);
      const weight = randomArray(C, 4, 1);
      const dout = randomArray(N * C, 4, 2);
      const dxInit = randomArray(N * C, 4, 3);
      const dwInit = randomArray(C, 4, 4);
      const want = new Float32Array(N * C);
      const wantRstd = new Float32Array(N);
      rmsnormForward(want, wantRstd, x, weight, N, C, eps);
      const wantDx = new Float32Array(N * C);
      const wantDw = dwInit.slice();
      rmsnormBackward(wantDx, wantDw, dout, x, weight, wantRstd, N, C);
      if (accumulate) for (let i = 0; i < wantDx.length; i++) wantDx[i] += dxInit[i];

      const gx = upload('rms.x', x);
      const gw = upload('rms.w', weight);
      const out = upload('rms.out', N * C);
      const rstd = upload('rms.rstd', N);
      const dx = upload('rms.dx', dxInit);
      const dw = upload('rms.dw', dwInit);
      const step = runner.begin();
      gpu.rmsnormForward(step, out, rstd, gx, gw, N, C, eps);
      const partials = twoPass ? upload('rms.partials', gpu.rmsnormPartialsElements(N, C)) : null;
      gpu.rmsnormBackward(step, dx, dw, upload('rms.dout', dout), gx, gw, rstd, N, C, accumulate, partials);
      const reads = [out, rstd, dx, dw].map((t) => step.read(t));
      await step.submit();
      const [gotOut, gotRstd, gotDx, gotDw] = await Promise.all(reads);
      expectClose('rmsnorm out', gotOut, want, TOL);
      expectClose('rstd', gotRstd, wantRstd, TOL);
      expectClose('dx', gotDx, wantDx, TOL);
      expectClose('dweight', gotDw, wantDw, TOL);
    },
  );
});

describe('vec4 twins', () => {
  it('RMSNorm and RoPE vec4 kernels equal their scalar kernels bit for bit', async () => {
    const [N, C, heads, D, maxPos] = [9, 12, 2, 8, 16];
    const x = randomArray(N * C, 8, 0, 2);
    const weight = randomArray(C, 8, 1);
    const dout = randomArray(N * C, 8, 2);
    const tables = ropeTables(D, 10000, maxPos);
    const r = randomArray(N * heads * D, 8, 3);
    const run = async (vec4: boolean) => {
      const u = { N, C, eps: 1e-6, accumulate: 0 };
      const out = upload(`twin.out.${vec4}`, N * C);
      const rstd = upload(`twin.rstd.${vec4}`, N);
      const dx = upload(`twin.dx.${vec4}`, N * C);
      const dw = upload(`twin.dw.${vec4}`, C);
      const rot = upload(`twin.rot.${vec4}`, r);
      const [gx, gw, gd] = [upload('twin.x', x), upload('twin.w', weight), upload('twin.dout', dout)];
      const rope = {
        positions: upload('twin.pos', randomInts(N, maxPos, 8)),
        cos: upload('twin.cos', tables.cos),
      };
      const step = runner.begin();
      step.dispatch(
        vec4 ? gpu.RMSNORM_FORWARD_VEC4 : gpu.RMSNORM_FORWARD,
        { inp: gx, weight: gw, out, rstd },
        u,
      );
      step.dispatch(
        vec4 ? gpu.RMSNORM_BACKWARD_VEC4 : gpu.RMSNORM_BACKWARD,
        { inp: gx, weight: gw, dout: gd, rstd, dinp: dx },
        u,
      );
      step.dispatch(
        vec4 ? gpu.RMSNORM_BACKWARD_WEIGHT_VEC4 : gpu.RMSNORM_BACKWARD_WEIGHT,
        { inp: gx, dout: gd, rstd, dweight: dw },
        u,
      );
      const ropeTensors = { ...rope, sin: upload('twin.sin', tables.sin), x: rot };
      step.dispatch(vec4 ? gpu.ROPE_FORWARD_VEC4 : gpu.ROPE_FORWARD, ropeTensors, { N, heads, half: D / 2 });
      const reads = [out, rstd, dx, dw, rot].map((t) => step.read(t));
      await step.submit();
      return Promise.all(reads);
    };
    const scalar = await run(false);
    const vec4 = await run(true);
    for (const [i, name] of ['out', 'rstd', 'dx', 'dweight', 'rope'].entries()) {
      expectClose(`${name}: vec4 vs scalar`, vec4[i], scalar[i], { atol: 0, rtol: 0 });
    }
  });
});

describe('rope', () => {
  // D = 6 runs the scalar kernels, D = 16 their vec4 twins (D a multiple of 8).
  it.each([6, 16])(
    'rotates in place forward and transposed backward at per-row positions (D = %i)',
    async (D) => {
      const [N, heads, maxPos] = [11, 3, 40];
      const tables = ropeTables(D, 10000, maxPos);
      const positions = randomInts(N, maxPos, 5);
      const x = randomArray(N * heads * D, 5, 1);
      const want = new Float32Array(x.length);
      ropeForward(want, x, positions, tables, N, heads, D);
      const wantBack = new Float32Array(x.length);
      ropeBackward(wantBack, x, positions, tables, N, heads, D);
      const pos = upload('rope.pos', positions);
      const cos = upload('rope.cos', tables.cos);
      const sin = upload('rope.sin', tables.sin);
      const a = upload('rope.a', x);
      const b = upload('rope.b', x);
      const step = runner.begin();
      gpu.ropeForward(step, a, pos, cos, sin, N, heads, D);
      gpu.ropeBackward(step, b, pos, cos, sin, N, heads, D);
      const [gotA, gotB] = [step.read(a), step.read(b)];
      await step.submit();
      expectClose('rope forward', await gotA, want, TOL);
      expectClose('rope backward', await gotB, wantBack, TOL);
    },
  );

  // q and k in one dispatch (rope_qk_*): bit for bit what one dispatch per tensor gives, forward and back.
  it.each([6, 16])('rotates q and k in one dispatch exactly as one dispatch each (D = %i)', async (D) => {
    const [N, heads, kvHeads, maxPos] = [9, 4, 2, 40];
    const tables = ropeTables(D, 10000, maxPos);
    const positions = randomInts(N, maxPos, 7);
    const q = randomArray(N * heads * D, 7, 1);
    const k = randomArray(N * kvHeads * D, 7, 2);
    const pos = upload('qk.pos', positions);
    const cos = upload('qk.cos', tables.cos);
    const sin = upload('qk.sin', tables.sin);
    const [q1, k1, q2, k2] = [q, k, q, k].map((x, i) => upload(`qk.x${i}`, x));
    const [dq1, dk1, dq2, dk2] = [q, k, q, k].map((x, i) => upload(`qk.dx${i}`, x));
    const step = runner.begin();
    gpu.ropeQkForward(step, q1, k1, pos, cos, sin, N, heads, kvHeads, D);
    gpu.ropeForward(step, q2, pos, cos, sin, N, heads, D);
    gpu.ropeForward(step, k2, pos, cos, sin, N, kvHeads, D);
    gpu.ropeQkBackward(step, dq1, dk1, pos, cos, sin, N, heads, kvHeads, D);
    gpu.ropeBackward(step, dq2, pos, cos, sin, N, heads, D);
    gpu.ropeBackward(step, dk2, pos, cos, sin, N, kvHeads, D);
    const reads = [q1, k1, q2, k2, dq1, dk1, dq2, dk2].map((t) => step.read(t));
    await step.submit();
    const [gq1, gk1, gq2, gk2, gdq1, gdk1, gdq2, gdk2] = await Promise.all(reads);
    expect(gq1).toEqual(gq2);
    expect(gk1).toEqual(gk2);
    expect(gdq1).toEqual(gdq2);
    expect(gdk1).toEqual(gdk2);
    // And against the CPU reference, so two equally wrong paths cannot pass.
    const wantK = new Float32Array(k.length);
    ropeForward(wantK, k, positions, tables, N, kvHeads, D);
    expectClose('rope_qk forward, k', gk1, wantK, TOL);
  });
});

describe('swiglu and residual', () => {
  // n = 157 runs the scalar kernels, n = 160 their vec4 twins.
  it.each([157, 160])(
    'swiglu forward/backward, residual add and in-place accumulate match (n = %i)',
    async (n) => {
      const gate = randomArray(n, 6, 0, 4);
      const up = randomArray(n, 6, 1);
      const dout = randomArray(n, 6, 2);
      const want = new Float32Array(n);
      swigluForward(want, gate, up, n);
      const wantDg = new Float32Array(n);
      const wantDu = new Float32Array(n);
      swigluBackward(wantDg, wantDu, dout, gate, up, n);
      const g = upload('sw.g', gate);
      const u = upload('sw.u', up);
      const out = upload('sw.out', n);
      const dg = upload('sw.dg', n);
      const du = upload('sw.du', n);
      const sum = upload('sw.sum', n);
      const acc = upload('sw.acc', dout);
      const step = runner.begin();
      gpu.swigluForward(step, out, g, u, n);
      gpu.swigluBackward(step, dg, du, upload('sw.dout', dout), g, u, n);
      gpu.residualForward(step, sum, g, u, n);
      gpu.addInPlace(step, acc, g, n, 0.5);
      const reads = [out, dg, du, sum, acc].map((t) => step.read(t));
      await step.submit();
      const [gotOut, gotDg, gotDu, gotSum, gotAcc] = await Promise.all(reads);
      expectClose('swiglu out', gotOut, want, TOL);
      expectClose('dgate', gotDg, wantDg, TOL);
      expectClose('dup', gotDu, wantDu, TOL);
      expectClose(
        'residual',
        gotSum,
        gate.map((v, i) => v + up[i]),
        TOL,
      );
      expectClose(
        'add in place',
        gotAcc,
        dout.map((v, i) => v + 0.5 * gate[i]),
        TOL,
      );
    },
  );
});

describe('logsoftmax', () => {
  it.each([1, 0.7])('gathers, scores entropy and backpropagates at temperature %s', async (temperature) => {
    const [B, T, V] = [3, 7, 11];
    const N = B * T;
    const logits = randomArray(N * V, 7, 0, 3);
    const tokens = randomInts(N, V, 7, 1);
    const mask = new Float32Array(N).map((_, p) => (p % T === 0 || p % 5 === 2 ? 0 : 1));
    // Upstream gradients are 0 outside the mask (the callers' contract).
    const dlp = randomArray(N, 7, 2).map((g, p) => g * mask[p]);
    const dent = randomArray(N, 7, 3).map((g, p) => g * mask[p]);
    // CPU: logits row p-1 predicts token p; positions with t = 0 or mask 0 are 0.
    const rowTargets = new Int32Array(N).map((_, r) => ((r + 1) % T === 0 ? 0 : tokens[r + 1]));
    const lpRows = new Float32Array(N);
    const entRows = new Float32Array(N);
    logSoftmaxForward(lpRows, entRows, logits, rowTargets, N, V, temperature);
    const wantLp = new Float32Array(N);
    const wantEnt = new Float32Array(N);
    const gLp = new Float32Array(N);
    const gEnt = new Float32Array(N);
    for (let p = 0; p < N; p++) {
      if (p % T === 0 || mask[p] === 0) continue;
      wantLp[p] = lpRows[p - 1];
      wantEnt[p] = entRows[p - 1];
      gLp[p - 1] = dlp[p];
      gEnt[p - 1] = dent[p];
    }
    const wantD = new Float32Array(N * V);
    logSoftmaxBackward(wantD, gLp, gEnt, logits, rowTargets, N, V, temperature);

    const gl = upload('lsm.logits', logits);
    const gt = upload('lsm.tokens', tokens);
    const gm = upload('lsm.mask', mask);
    const lp = upload('lsm.lp', N);
    const ent = upload('lsm.ent', N);
    const dlogits = upload('lsm.dlogits', randomArray(N * V, 7, 9)); // assigned, not accumulated
    const step = runner.begin();
    gpu.logSoftmaxForward(step, lp, ent, gl, gt, gm, B, T, V, temperature);
    gpu.logSoftmaxBackward(
      step,
      dlogits,
      upload('lsm.dlp', dlp),
      upload('lsm.dent', dent),
      gl,
      gt,
      B,
      T,
      V,
      temperature,
    );
    const reads = [lp, ent, dlogits].map((t) => step.read(t));
    await step.submit();
    const [gotLp, gotEnt, gotD] = await Promise.all(reads);
    expectClose('logprobs', gotLp, wantLp, TOL);
    expectClose('entropy', gotEnt, wantEnt, TOL);
    expectClose('dlogits', gotD, wantD, TOL);
  });
});

describe('grad norm and AdamW', () => {
  it.each([
    [0.5, 'clipping'],
    [Infinity, 'no clip'],
  ])('match the CPU optimizer over two steps (max norm %s, %s)', async (maxGradNorm) => {
    const n = 5000 + 13; // several partial chunks, ragged
    const params = randomArray(n, 8, 0);
    const grads = randomArray(n, 8, 1, 0.05);
    const config = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm };
    const cpuP = params.slice();
    const cpuM = new Float32Array(n);
    const cpuV = new Float32Array(n);
    const norms: number[] = [];
    for (let s = 1; s <= 2; s++) norms.push(adamwStep(cpuP, grads, cpuM, cpuV, s, config).gradNorm);

    const p = upload('adam.p', params);
    const g = upload('adam.g', grads);
    const m = upload('adam.m', n);
    const v = upload('adam.v', n);
    const clip = upload('adam.clip', 4);
    const partials = upload('adam.partials', gpu.gradNormParts(n).parts);
    const clips: Promise<Float32Array>[] = [];
    const step = runner.begin();
    for (let s = 1; s <= 2; s++) {
      gpu.gradNormClip(step, clip, partials, g, n, maxGradNorm);
      clips.push(step.read(clip));
      gpu.adamwUpdate(step, p, g, m, v, clip, n, { ...config, step: s });
    }
    const reads = [p, m, v].map((t) => step.read(t));
    await step.submit();
    const [gotP, gotM, gotV] = await Promise.all(reads);
    for (let s = 0; s < 2; s++) {
      const c = await clips[s];
      expect(c[0]).toBeCloseTo(norms[s], 4);
      expect(c[1]).toBeCloseTo(Number.isFinite(maxGradNorm) ? Math.min(1, maxGradNorm / norms[s]) : 1, 5);
      expect(c[2]).toBe(1);
    }
    expectClose('params', gotP, cpuP, { atol: 1e-6, rtol: 1e-5 });
    expectClose('m', gotM, cpuM, { atol: 1e-7, rtol: 1e-4 });
    expectClose('v', gotV, cpuV, { atol: 1e-9, rtol: 1e-4 });
  });

  it('leaves parameters untouched when the gradient norm is not finite', async () => {
    const n = 100;
    const params = randomArray(n, 9, 0);
    const grads = randomArray(n, 9, 1);
    grads[17] = Number.NaN;
    const p = upload('nan.p', params);
    const g = upload('nan.g', grads);
    const m = upload('nan.m', n);
    const v = upload('nan.v', n);
    const clip = upload('nan.clip', 4);
    const partials = upload('nan.partials', gpu.gradNormParts(n).parts);
    const step = runner.begin();
    gpu.gradNormClip(step, clip, partials, g, n, 1);
    gpu.adamwUpdate(step, p, g, m, v, clip, n, {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0,
      step: 1,
    });
    const [gotP, gotClip] = [step.read(p), step.read(clip)];
    await step.submit();
    expect((await gotClip)[2]).toBe(0);
    expectClose('params unchanged', await gotP, params, { atol: 0, rtol: 0 });
  });
});
