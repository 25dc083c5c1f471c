// WebAssembly kernels (SIMD where the lanes are independent) that return exactly the bits of the CPU
// engine's JavaScript loops, for the loops that dominated a GRPO step once the matmuls were fast: those
// whose time goes to exp (Math.exp costs about 12 ns a call in V8) and those where a typed-array loop's
// ~2.5 ns per element adds up. SwiGLU forward
// and backward, RMSNorm forward and backward, the attention forward's causal softmax, a batch exp (the
// log-softmax's), and the one-token attention against the KV cache. Being bit-identical is the point:
// a run replays the same on either path, so study records computed before these kernels still replay.
//
// How the bits stay the same:
// - exp is fdlibm's e_exp.c algorithm, as util/fdlibm.ts's fdExp (Node 20's Math.exp; Chromium's differs),
//   written with the same float64 operations in the same order, two lanes at a time (no fused
//   multiply-add exists in wasm SIMD, and none is used by that C code on x86-64). Arguments outside its
//   main path (|x| >= 707, NaN, and x = 1, which V8's fdlibm special-cases) call fdExp itself.
//   (fdlibm is Sun's, free to use and modify with its notice kept: see util/fdlibm.ts.)
// - Everything around exp is the JS loop's float64 arithmetic in its order: float32 inputs widened
//   exactly, results rounded to float32 once on store (as a Float32Array store does), every sum
//   accumulated in the loop's order (SIMD only across independent elements, never inside a sum).
// Tests compare every kernel with the JS loop bit for bit (wasmExact.test.ts), and exp with fdExp;
// setExactKernelsEnabled(false) runs the JS loops instead (the bench's "before").

import { bits, EXP_CONSTANTS, fdExp } from '../../util/fdlibm';
import {
  code,
  ensureMemory,
  F64,
  type FunctionSpec,
  forRange,
  I32,
  moduleBytes,
  op,
  V128,
} from './wasmAssembler';

// fdlibm's e_exp.c constants, as util/fdlibm.ts's fdExp uses them.
const { LN2_HI, LN2_LO, INV_LN2, P1, P2, P3, P4, P5 } = EXP_CONSTANTS;
/** |x| from here on (and NaN) goes to fdExp in JS: overflow, underflow and 2^k scaling limits. */
const SLOW_ABOVE = 707;

/**
 * Allocates v128 locals after a function's parameters and its i32 and f64 locals, and holds the kernel's constants
 * in locals set once before its loop (a v128.const inside the loop costs several instructions per use
 * in V8's code).
 */
class Locals {
  private next: number;
  private readonly constants = new Map<string, { local: number; bytes: number[] }>();
  constructor(first: number) {
    this.next = first;
  }
  v128(): number {
    return this.next++;
  }
  get count(): number {
    return this.next;
  }
  private constant(bytes: number[]): number[] {
    const key = bytes.join(',');
    let entry = this.constants.get(key);
    if (!entry) {
      entry = { local: this.v128(), bytes };
      this.constants.set(key, entry);
    }
    return op.localGet(entry.local);
  }
  /** Both lanes = the float64 `value`. */
  f64(value: number): number[] {
    return this.constant(op.f64x2Const(value));
  }
  /** Both lanes = the int64 `value`. */
  i64(value: bigint): number[] {
    return this.constant(op.i64x2Const(value));
  }
  /** Sets the constants' locals: emit before the loop, after the loop body has been built. */
  prologue(): number[] {
    return code(...[...this.constants.values()].map((c) => code(c.bytes, op.localSet(c.local))));
  }
}

/**
 * Instructions computing exp of the two float64 lanes of local `x` into local `out` (x is kept).
 * `hostExp` is the index of the imported fdExp. fdlibm's branches become lane selects:
 *   |x| < 2^-28:     1 + x
 *   |x| <= ln2/2:    k = 0 (fdlibm compares the high word: |x| < 0x3FD62E43_00000000)
 *   otherwise:       k = trunc(x/ln2 ± 1/2)
 * then hi = x - k ln2_hi, lo = k ln2_lo, r = hi - lo, c = r - r²(P1 + r²(P2 + ...)),
 * y = 1 - ((lo - r c / (2 - c)) - hi), exp(x) = y 2^k. Why one formula covers fdlibm's other cases:
 * - for ln2/2 < |x| < 1.5 ln2 fdlibm sets k = ±1, hi = x ∓ ln2_hi, lo = ±ln2_lo; the general formula
 *   gives the same k there, and k ln2_hi, k ln2_lo are exact for k = ±1;
 * - fdlibm writes the k = 0 case as 1 - (r c / (c - 2) - r); with k = 0, lo = +0 and hi = r, and
 *   a / -b = -(a / b) exactly in IEEE arithmetic, so it is the same number.
 * 2^k is built from its bits: t + (2^52 + 1023) holds k + 1023 in its low mantissa bits, exactly, and
 * shifting left by 52 moves them into the exponent field (|k| <= 1020 on this path).
 */
function expInstructions(xs: number[], outs: number[], hostExp: number, locals: Locals): number[] {
  const vectors = xs.map((x, i) => {
    const [ax, t, hi, lo, r, z, c, slow] = Array.from({ length: 8 }, () => locals.v128());
    return { x, out: outs[i], ax, t, hi, lo, r, z, c, slow };
  });
  const get = op.localGet;
  const set = op.localSet;
  const k = (value: number) => locals.f64(value);
  // Each statement for every vector in turn: their dependency chains interleave, so the CPU has
  // independent work while one vector waits on a multiply or the divide.
  const each = (statement: (v: (typeof vectors)[number]) => number[]) => code(...vectors.map(statement));
  return code(
    each((v) => code(get(v.x), op.f64x2Abs, set(v.ax))),
    // t = k as a float64: trunc(INV_LN2 x + copysign(1/2, x)), or 0 where |x| <= ln2/2.
    each((v) =>
      code(
        k(INV_LN2),
        get(v.x),
        op.f64x2Mul,
        k(0.5),
        get(v.x),
        locals.i64(-0x8000000000000000n), // the sign bit
        op.v128And,
        op.v128Or,
        op.f64x2Add,
        op.f64x2Trunc,
        get(v.ax),
        k(bits(0x3fd62e4300000000n)),
        op.f64x2Lt,
        op.v128AndNot,
        set(v.t),
      ),
    ),
    // hi = x - t ln2_hi; lo = t ln2_lo; r = hi - lo; z = r r
    each((v) => code(get(v.x), get(v.t), k(LN2_HI), op.f64x2Mul, op.f64x2Sub, set(v.hi))),
    each((v) => code(get(v.t), k(LN2_LO), op.f64x2Mul, set(v.lo))),
    each((v) => code(get(v.hi), get(v.lo), op.f64x2Sub, op.localTee(v.r), get(v.r), op.f64x2Mul, set(v.z))),
    // c = r - z (P1 + z (P2 + z (P3 + z (P4 + z P5)))), one Horner step at a time.
    each((v) => code(get(v.z), k(P5), op.f64x2Mul, set(v.c))),
    ...[P4, P3, P2, P1].map((p) =>
      each((v) => code(get(v.z), k(p), get(v.c), op.f64x2Add, op.f64x2Mul, set(v.c))),
    ),
    each((v) => code(get(v.r), get(v.c), op.f64x2Sub, set(v.c))),
    // out = (1 - ((lo - (r c) / (2 - c)) - hi)) 2^k
    each((v) =>
      code(
        k(1),
        get(v.lo),
        get(v.r),
        get(v.c),
        op.f64x2Mul,
        k(2),
        get(v.c),
        op.f64x2Sub,
        op.f64x2Div,
        op.f64x2Sub,
        get(v.hi),
        op.f64x2Sub,
        op.f64x2Sub,
        get(v.t),
        k(2 ** 52 + 1023),
        op.f64x2Add,
        op.i32Const(52),
        op.i64x2Shl,
        op.f64x2Mul,
        set(v.out),
      ),
    ),
    // |x| < 2^-28: 1 + x.
    each((v) =>
      code(
        k(1),
        get(v.x),
        op.f64x2Add,
        get(v.out),
        get(v.ax),
        k(2 ** -28),
        op.f64x2Lt,
        op.v128Bitselect,
        set(v.out),
      ),
    ),
    // fdExp for |x| >= SLOW_ABOVE, NaN (the comparison is false) and x = 1.
    each((v) =>
      code(
        get(v.ax),
        k(SLOW_ABOVE),
        op.f64x2Lt,
        op.v128Not,
        get(v.x),
        k(1),
        op.f64x2Eq,
        op.v128Or,
        op.localTee(v.slow),
        op.v128AnyTrue,
        op.if,
        get(v.x),
        get(v.x),
        op.f64x2ExtractLane(0),
        op.call(hostExp),
        op.f64x2ReplaceLane(0),
        get(v.x),
        op.f64x2ExtractLane(1),
        op.call(hostExp),
        op.f64x2ReplaceLane(1),
        get(v.out),
        get(v.slow),
        op.v128Bitselect,
        set(v.out),
        op.end,
      ),
    ),
  );
}

const get = op.localGet;
const set = op.localSet;

/** Vectors of two float64 lanes in flight per loop iteration (see expInstructions). */
const LANES = 4;
const HOST_EXP = 0; // function index of the imported fdExp

/** exp(ptr: bytes, n: count): n float64 values in place; n a multiple of 2 LANES (the caller pads). */
function expFunction(): FunctionSpec {
  const [ptr, n, offset, end] = [0, 1, 2, 3];
  const locals = new Locals(4);
  const xs = Array.from({ length: LANES }, () => locals.v128());
  const outs = Array.from({ length: LANES }, () => locals.v128());
  // Built before the prologue, which sets the constants the body registers.
  const loopBody = code(
    ...xs.map((x, i) => code(get(offset), op.i32Const(16 * i), op.i32Add, op.v128Load, set(x))),
    expInstructions(xs, outs, HOST_EXP, locals),
    ...outs.map((out, i) => code(get(offset), op.i32Const(16 * i), op.i32Add, get(out), op.v128Store)),
  );
  const body = code(
    get(ptr),
    get(n),
    op.i32Const(8),
    op.i32Mul,
    op.i32Add,
    set(end),
    locals.prologue(),
    forRange(offset, get(ptr), end, 16 * LANES, loopBody),
  );
  return {
    name: 'exp',
    params: [I32, I32],
    results: [],
    locals: [
      [2, I32],
      [locals.count - 4, V128],
    ],
    body,
  };
}

/** Loads two float32 at (base + offset + 8 i) widened to float64 lanes. */
const loadPair = (base: number, offset: number, i: number) =>
  code(
    get(base),
    get(offset),
    op.i32Add,
    op.i32Const(8 * i),
    op.i32Add,
    op.v128Load64Zero,
    op.f64x2PromoteLowF32x4,
  );

/** Stores local `value`'s two float64 lanes, rounded to float32, at (base + offset + 8 i). */
const storePair = (base: number, offset: number, i: number, value: number) =>
  code(
    get(base),
    get(offset),
    op.i32Add,
    op.i32Const(8 * i),
    op.i32Add,
    get(value),
    op.f32x4DemoteF64x2Zero,
    op.v128Store64Lane0,
  );

/**
 * An elementwise kernel over float32 arrays of n elements (n a multiple of 2 LANES): parameters are the
 * arrays' byte addresses then n; each iteration handles LANES pairs, so their exps interleave.
 */
function elementwiseFunction(
  name: string,
  arrays: number,
  body: (locals: Locals, offset: number) => number[],
): FunctionSpec {
  const n = arrays;
  const [offset, end] = [arrays + 1, arrays + 2];
  const locals = new Locals(arrays + 3);
  const loopBody = body(locals, offset);
  return {
    name,
    params: [...new Array(arrays).fill(I32), I32],
    results: [],
    locals: [
      [2, I32],
      [locals.count - (arrays + 3), V128],
    ],
    body: code(
      get(n),
      op.i32Const(4),
      op.i32Mul,
      set(end),
      op.i32Const(0),
      set(offset),
      locals.prologue(),
      forRange(offset, op.i32Const(0), end, 8 * LANES, loopBody),
    ),
  };
}

const pairs = () => Array.from({ length: LANES }, (_, i) => i);

/** Both SwiGLU directions start alike: load each pair's gate g (kept), then e = exp(-g). */
function expOfNegatedGate(
  v: { g: number; negG: number; e: number }[],
  gate: number,
  offset: number,
  locals: Locals,
): number[] {
  return code(
    ...v.map((p, i) => code(loadPair(gate, offset, i), op.localTee(p.g), op.f64x2Neg, set(p.negG))),
    expInstructions(
      v.map((p) => p.negG),
      v.map((p) => p.e),
      HOST_EXP,
      locals,
    ),
  );
}

/** swigluF(gate, up, out: bytes, n): out = (g / (1 + exp(-g))) * u. */
function swigluForwardFunction(): FunctionSpec {
  const [gate, up, out] = [0, 1, 2];
  return elementwiseFunction('swigluF', 3, (locals, offset) => {
    const v = pairs().map(() => ({ g: locals.v128(), negG: locals.v128(), e: locals.v128() }));
    return code(
      expOfNegatedGate(v, gate, offset, locals),
      ...v.map((p, i) =>
        code(
          get(p.g),
          locals.f64(1),
          get(p.e),
          op.f64x2Add,
          op.f64x2Div,
          loadPair(up, offset, i),
          op.f64x2Mul,
          set(p.e),
          storePair(out, offset, i, p.e),
        ),
      ),
    );
  });
}

/**
 * swigluB(dout, gate, up, dgate, dup: bytes, n): sig = 1 / (1 + exp(-g)), dup = (d g) sig,
 * dgate = ((d u) sig) (1 + g (1 - sig)).
 */
function swigluBackwardFunction(): FunctionSpec {
  const [dout, gate, up, dgate, dup] = [0, 1, 2, 3, 4];
  return elementwiseFunction('swigluB', 5, (locals, offset) => {
    const v = pairs().map(() => ({
      g: locals.v128(),
      negG: locals.v128(),
      e: locals.v128(),
      sig: locals.v128(),
      d: locals.v128(),
    }));
    return code(
      expOfNegatedGate(v, gate, offset, locals),
      ...v.map((p, i) =>
        code(
          locals.f64(1),
          locals.f64(1),
          get(p.e),
          op.f64x2Add,
          op.f64x2Div,
          set(p.sig),
          loadPair(dout, offset, i),
          set(p.d),
          // dup = (d g) sig
          get(p.d),
          get(p.g),
          op.f64x2Mul,
          get(p.sig),
          op.f64x2Mul,
          set(p.e),
          storePair(dup, offset, i, p.e),
          // dgate = ((d u) sig) (1 + g (1 - sig))
          get(p.d),
          loadPair(up, offset, i),
          op.f64x2Mul,
          get(p.sig),
          op.f64x2Mul,
          locals.f64(1),
          get(p.g),
          locals.f64(1),
          get(p.sig),
          op.f64x2Sub,
          op.f64x2Mul,
          op.f64x2Add,
          op.f64x2Mul,
          set(p.e),
          storePair(dgate, offset, i, p.e),
        ),
      ),
    );
  });
}

/**
 * decodeAttention(out, q, k, v, slots, positions, scores: bytes, R, maxT, H, group, D, scale):
 * attentionDecodeForward of ops.ts (one new query per row against the KV cache), in its arithmetic:
 * - scores s = ((s0 + s1) + s2) + s3) * scale, where s_j sums q[d] k[d] over d = j mod 4 in d order
 *   (two float64 lanes for (s0, s1) and two for (s2, s3)); stored as float32, max over the float64 s;
 * - e = exp(float32 score - max), stored as float32; sum += e in t order (float64);
 * - out[d] += p v[d] with p = float32 e * (1 / sum), rounded to float32 after every t.
 * D must be a multiple of 4; out must be zero; scores holds H * maxT + 2 float32 (a pair's spare lane).
 */
function decodeAttentionFunction(): FunctionSpec {
  // Parameters.
  const [out, q, k, v, slots, positions, scores, R, maxT, H, group, D, scale] = Array.from(
    { length: 13 },
    (_, i) => i,
  );
  // i32 locals.
  const [r, h, n, t2, d, kvStride, cacheBase, kvBase, qAddr, kAddr, vAddr, scAddr, oAddr] = Array.from(
    { length: 13 },
    (_, i) => 13 + i,
  );
  // f64 locals.
  const [sc, max, sum, inv] = [26, 27, 28, 29];
  const locals = new Locals(30);
  const [acc01, acc23, x, e, p, o] = Array.from({ length: 6 }, () => locals.v128());
  const pair = (addr: number, offset: number[]) =>
    code(get(addr), offset, op.i32Add, op.v128Load64Zero, op.f64x2PromoteLowF32x4);
  const bytesOf = (...parts: number[][]) => code(...parts, op.i32Const(2), op.i32Shl);

  const scoresOfHead = forRange(
    t2,
    op.i32Const(0),
    n,
    1,
    code(
      locals.f64(0),
      set(acc01),
      locals.f64(0),
      set(acc23),
      forRange(
        d,
        op.i32Const(0),
        D,
        4,
        code(
          get(acc01),
          pair(qAddr, bytesOf(get(d))),
          pair(kAddr, bytesOf(get(d))),
          op.f64x2Mul,
          op.f64x2Add,
          set(acc01),
          get(acc23),
          pair(qAddr, code(bytesOf(get(d)), op.i32Const(8), op.i32Add)),
          pair(kAddr, code(bytesOf(get(d)), op.i32Const(8), op.i32Add)),
          op.f64x2Mul,
          op.f64x2Add,
          set(acc23),
        ),
      ),
      get(acc01),
      op.f64x2ExtractLane(0),
      get(acc01),
      op.f64x2ExtractLane(1),
      op.f64Add,
      get(acc23),
      op.f64x2ExtractLane(0),
      op.f64Add,
      get(acc23),
      op.f64x2ExtractLane(1),
      op.f64Add,
      get(scale),
      op.f64Mul,
      set(sc),
      get(scAddr),
      bytesOf(get(t2)),
      op.i32Add,
      get(sc),
      op.f32DemoteF64,
      op.f32Store,
      // if (s > max) max = s
      get(sc),
      get(max),
      get(sc),
      get(max),
      op.f64Gt,
      op.select,
      set(max),
      get(kAddr),
      get(kvStride),
      op.i32Add,
      set(kAddr),
    ),
  );

  // Exps two at a time; the sum adds lane 0 then lane 1 (when it is a real position) in t order.
  const expsOfHead = forRange(
    t2,
    op.i32Const(0),
    n,
    2,
    code(
      pair(scAddr, bytesOf(get(t2))),
      get(max),
      op.f64x2Splat,
      op.f64x2Sub,
      set(x),
      expInstructions([x], [e], HOST_EXP, locals),
      get(scAddr),
      bytesOf(get(t2)),
      op.i32Add,
      get(e),
      op.f32x4DemoteF64x2Zero,
      op.v128Store64Lane0,
      get(sum),
      get(e),
      op.f64x2ExtractLane(0),
      op.f64Add,
      set(sum),
      get(t2),
      op.i32Const(1),
      op.i32Add,
      get(n),
      op.i32LtU,
      op.if,
      get(sum),
      get(e),
      op.f64x2ExtractLane(1),
      op.f64Add,
      set(sum),
      op.end,
    ),
  );

  // out[d] = float32(out[d] + p v[d]) for every t, p = float32 e * inv.
  const valuesOfHead = forRange(
    t2,
    op.i32Const(0),
    n,
    1,
    code(
      get(scAddr),
      bytesOf(get(t2)),
      op.i32Add,
      op.f32Load,
      op.f64PromoteF32,
      get(inv),
      op.f64Mul,
      op.f64x2Splat,
      set(p),
      forRange(
        d,
        op.i32Const(0),
        D,
        2,
        code(
          pair(oAddr, bytesOf(get(d))),
          get(p),
          pair(vAddr, bytesOf(get(d))),
          op.f64x2Mul,
          op.f64x2Add,
          set(o),
          get(oAddr),
          bytesOf(get(d)),
          op.i32Add,
          get(o),
          op.f32x4DemoteF64x2Zero,
          op.v128Store64Lane0,
        ),
      ),
      get(vAddr),
      get(kvStride),
      op.i32Add,
      set(vAddr),
    ),
  );

  const perHead = code(
    // kvBase = cacheBase + (h / group) * D * 4; qAddr = q + (r H + h) D * 4; oAddr likewise in out
    get(cacheBase),
    bytesOf(get(h), get(group), op.i32DivU, get(D), op.i32Mul),
    op.i32Add,
    set(kvBase),
    bytesOf(get(r), get(H), op.i32Mul, get(h), op.i32Add, get(D), op.i32Mul),
    op.localTee(qAddr),
    get(out),
    op.i32Add,
    set(oAddr),
    get(qAddr),
    get(q),
    op.i32Add,
    set(qAddr),
    get(scores),
    bytesOf(get(h), get(maxT), op.i32Mul),
    op.i32Add,
    set(scAddr),
    get(k),
    get(kvBase),
    op.i32Add,
    set(kAddr),
    get(v),
    get(kvBase),
    op.i32Add,
    set(vAddr),
    op.f64Const(Number.NEGATIVE_INFINITY),
    set(max),
    scoresOfHead,
    op.f64Const(0),
    set(sum),
    expsOfHead,
    op.f64Const(1),
    get(sum),
    op.f64Div,
    set(inv),
    valuesOfHead,
  );

  const perRow = code(
    // n = positions[r] + 1; cacheBase = slots[r] maxT kvStride
    get(positions),
    bytesOf(get(r)),
    op.i32Add,
    op.i32Load,
    op.i32Const(1),
    op.i32Add,
    set(n),
    get(slots),
    bytesOf(get(r)),
    op.i32Add,
    op.i32Load,
    get(maxT),
    op.i32Mul,
    get(kvStride),
    op.i32Mul,
    set(cacheBase),
    forRange(h, op.i32Const(0), H, 1, perHead),
  );

  const rows = forRange(r, op.i32Const(0), R, 1, perRow);
  return {
    name: 'decodeAttention',
    params: [...new Array(12).fill(I32), F64],
    results: [],
    locals: [
      [13, I32],
      [4, F64],
      [locals.count - 30, V128],
    ],
    body: code(
      // kvStride in bytes = (H / group) D 4
      bytesOf(get(H), get(group), op.i32DivU, get(D), op.i32Mul),
      set(kvStride),
      locals.prologue(),
      rows,
    ),
  };
}

/**
 * causalSoftmax(scores: bytes, rows, len, scale): the attention forward's softmax (ops.ts), in place on
 * a (rows, len) float32 block whose row r is query position t = r mod len, in the JS loop's arithmetic:
 * x = score * scale (stored as float32; the max is over the float64 x), e = exp(float32 x - max) (stored
 * as float32; sum += e in order, float64), p = float32 e * (1 / sum) (stored as float32), and zeros
 * after position t.
 */
function causalSoftmaxFunction(): FunctionSpec {
  const [scores, rows, len, scale] = [0, 1, 2, 3];
  const [r, n, t2, row] = [4, 5, 6, 7]; // i32
  const [x, max, sum, inv] = [8, 9, 10, 11]; // f64
  const locals = new Locals(12);
  const [args, e] = [locals.v128(), locals.v128()];
  const at = code(get(row), get(t2), op.i32Const(2), op.i32Shl, op.i32Add); // address of entry t2
  const exps = (count: 1 | 2) =>
    code(
      at,
      count === 2 ? op.v128Load64Zero : code(op.f32Load, op.f32x4Splat),
      op.f64x2PromoteLowF32x4,
      get(max),
      op.f64x2Splat,
      op.f64x2Sub,
      set(args),
      expInstructions([args], [e], HOST_EXP, locals),
      at,
      get(e),
      op.f32x4DemoteF64x2Zero,
      count === 2 ? op.v128Store64Lane0 : code(op.f32x4ExtractLane(0), op.f32Store),
      get(sum),
      get(e),
      op.f64x2ExtractLane(0),
      op.f64Add,
      set(sum),
      ...(count === 2 ? [get(sum), get(e), op.f64x2ExtractLane(1), op.f64Add, set(sum)] : []),
    );
  const perRow = code(
    get(scores),
    get(r),
    get(len),
    op.i32Mul,
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(row),
    get(r),
    get(len),
    op.i32RemU,
    op.i32Const(1),
    op.i32Add,
    set(n),
    op.f64Const(Number.NEGATIVE_INFINITY),
    set(max),
    forRange(
      t2,
      op.i32Const(0),
      n,
      1,
      code(
        at,
        op.f32Load,
        op.f64PromoteF32,
        get(scale),
        op.f64Mul,
        set(x),
        at,
        get(x),
        op.f32DemoteF64,
        op.f32Store,
        get(x),
        get(max),
        get(x),
        get(max),
        op.f64Gt,
        op.select,
        set(max),
      ),
    ),
    op.f64Const(0),
    set(sum),
    // Pairs while two fit in the row, then the odd last one alone (a pair would write past the row).
    op.i32Const(0),
    set(t2),
    op.block,
    op.loop,
    get(t2),
    op.i32Const(2),
    op.i32Add,
    get(n),
    op.i32GtU,
    op.brIf(1),
    exps(2),
    get(t2),
    op.i32Const(2),
    op.i32Add,
    set(t2),
    op.br(0),
    op.end,
    op.end,
    get(t2),
    get(n),
    op.i32LtU,
    op.if,
    exps(1),
    op.end,
    op.f64Const(1),
    get(sum),
    op.f64Div,
    set(inv),
    forRange(
      t2,
      op.i32Const(0),
      n,
      1,
      code(at, at, op.f32Load, op.f64PromoteF32, get(inv), op.f64Mul, op.f32DemoteF64, op.f32Store),
    ),
    forRange(t2, get(n), len, 1, code(at, op.f64Const(0), op.f32DemoteF64, op.f32Store)),
  );
  const body = forRange(r, op.i32Const(0), rows, 1, perRow);
  return {
    name: 'causalSoftmax',
    params: [I32, I32, I32, F64],
    results: [],
    locals: [
      [4, I32],
      [4, F64],
      [locals.count - 12, V128],
    ],
    body: code(locals.prologue(), body),
  };
}

/** Address of float32 element (row local * C local + col local) of the array at byte address `base`. */
const element = (base: number, row: number, C: number, col: number) =>
  code(get(base), get(row), get(C), op.i32Mul, get(col), op.i32Add, op.i32Const(2), op.i32Shl, op.i32Add);
const elementOf = (base: number, index: number) =>
  code(get(base), get(index), op.i32Const(2), op.i32Shl, op.i32Add);
const loadF64 = (address: number[]) => code(address, op.f32Load, op.f64PromoteF32);

/**
 * rmsF(out, rstd, inp, weight: bytes, N, C, eps): rmsnormForward of ops.ts in its arithmetic: per row,
 * sq = Σ x² in order (float64), r = 1 / sqrt(sq / C + eps), rstd = float32 r, out = float32((x r) w).
 */
function rmsnormForwardFunction(): FunctionSpec {
  const [out, rstd, inp, weight, N, C, eps] = [0, 1, 2, 3, 4, 5, 6];
  const [n, c] = [7, 8];
  const [sq, r, x] = [9, 10, 11];
  const body = forRange(
    n,
    op.i32Const(0),
    N,
    1,
    code(
      op.f64Const(0),
      set(sq),
      forRange(
        c,
        op.i32Const(0),
        C,
        1,
        code(loadF64(element(inp, n, C, c)), op.localTee(x), get(x), op.f64Mul, get(sq), op.f64Add, set(sq)),
      ),
      op.f64Const(1),
      get(sq),
      get(C),
      op.f64ConvertI32U,
      op.f64Div,
      get(eps),
      op.f64Add,
      op.f64Sqrt,
      op.f64Div,
      set(r),
      elementOf(rstd, n),
      get(r),
      op.f32DemoteF64,
      op.f32Store,
      forRange(
        c,
        op.i32Const(0),
        C,
        1,
        code(
          element(out, n, C, c),
          loadF64(element(inp, n, C, c)),
          get(r),
          op.f64Mul,
          loadF64(elementOf(weight, c)),
          op.f64Mul,
          op.f32DemoteF64,
          op.f32Store,
        ),
      ),
    ),
  );
  return {
    name: 'rmsF',
    params: [I32, I32, I32, I32, I32, I32, F64],
    results: [],
    locals: [
      [2, I32],
      [3, F64],
    ],
    body,
  };
}

/**
 * rmsB(dinp, dweight, dout, inp, weight, rstd: bytes, N, C): rmsnormBackward of ops.ts in its
 * arithmetic: per row (r = rstd, xhat = x r, all float64), dweight += d xhat (float32 accumulator),
 * dot = Σ (d w) xhat in order, dinp = float32(r (d w - xhat (dot / C))).
 */
function rmsnormBackwardFunction(): FunctionSpec {
  const [dinp, dweight, dout, inp, weight, rstd, N, C] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [n, c] = [8, 9];
  const [r, dot, xhat, d, meanDot] = [10, 11, 12, 13, 14];
  const xhatOf = code(loadF64(element(inp, n, C, c)), get(r), op.f64Mul, set(xhat));
  const body = forRange(
    n,
    op.i32Const(0),
    N,
    1,
    code(
      loadF64(elementOf(rstd, n)),
      set(r),
      op.f64Const(0),
      set(dot),
      forRange(
        c,
        op.i32Const(0),
        C,
        1,
        code(
          xhatOf,
          loadF64(element(dout, n, C, c)),
          set(d),
          // dweight[c] += d xhat
          elementOf(dweight, c),
          loadF64(elementOf(dweight, c)),
          get(d),
          get(xhat),
          op.f64Mul,
          op.f64Add,
          op.f32DemoteF64,
          op.f32Store,
          // dot += (d w) xhat
          get(dot),
          get(d),
          loadF64(elementOf(weight, c)),
          op.f64Mul,
          get(xhat),
          op.f64Mul,
          op.f64Add,
          set(dot),
        ),
      ),
      get(dot),
      get(C),
      op.f64ConvertI32U,
      op.f64Div,
      set(meanDot),
      forRange(
        c,
        op.i32Const(0),
        C,
        1,
        code(
          xhatOf,
          element(dinp, n, C, c),
          get(r),
          loadF64(element(dout, n, C, c)),
          loadF64(elementOf(weight, c)),
          op.f64Mul,
          get(xhat),
          get(meanDot),
          op.f64Mul,
          op.f64Sub,
          op.f64Mul,
          op.f32DemoteF64,
          op.f32Store,
        ),
      ),
    ),
  );
  return {
    name: 'rmsB',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [
      [2, I32],
      [5, F64],
    ],
    body,
  };
}

/** The module: fdExp imported as host.exp, then the kernels. */
export function exactModuleBytes(): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    [
      expFunction(),
      swigluForwardFunction(),
      swigluBackwardFunction(),
      decodeAttentionFunction(),
      causalSoftmaxFunction(),
      rmsnormForwardFunction(),
      rmsnormBackwardFunction(),
    ],
    [{ module: 'host', name: 'exp', params: [F64], results: [F64] }],
  );
}

interface ExactKernels {
  memory: WebAssembly.Memory;
  causalSoftmax: (scores: number, rows: number, len: number, scale: number) => void;
  rmsF: (out: number, rstd: number, inp: number, weight: number, N: number, C: number, eps: number) => void;
  rmsB: (
    dinp: number,
    dweight: number,
    dout: number,
    inp: number,
    weight: number,
    rstd: number,
    N: number,
    C: number,
  ) => void;
  exp: (ptr: number, n: number) => void;
  swigluF: (gate: number, up: number, out: number, n: number) => void;
  swigluB: (dout: number, gate: number, up: number, dgate: number, dup: number, n: number) => void;
  decodeAttention: (
    out: number,
    q: number,
    k: number,
    v: number,
    slots: number,
    positions: number,
    scores: number,
    R: number,
    maxT: number,
    H: number,
    group: number,
    D: number,
    scale: number,
  ) => void;
}

/** The kernels of an instance's exports. */
function kernelsOf(instance: WebAssembly.Instance): ExactKernels {
  const e = instance.exports;
  return {
    memory: e.memory as WebAssembly.Memory,
    exp: e.exp as ExactKernels['exp'],
    swigluF: e.swigluF as ExactKernels['swigluF'],
    swigluB: e.swigluB as ExactKernels['swigluB'],
    decodeAttention: e.decodeAttention as ExactKernels['decodeAttention'],
    causalSoftmax: e.causalSoftmax as ExactKernels['causalSoftmax'],
    rmsF: e.rmsF as ExactKernels['rmsF'],
    rmsB: e.rmsB as ExactKernels['rmsB'],
  };
}

const imports = { host: { exp: fdExp } };

/**
 * A fresh instance of the module (its own memory), compiled synchronously (Node, Web Workers), or null
 * where WebAssembly SIMD is unavailable or a synchronous compile is refused: a browser's main thread
 * refuses modules over 4 KB, so the page prepares them with prepareExactKernels first.
 */
function instantiate(): ExactKernels | null {
  try {
    const bytes = exactModuleBytes();
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
    return kernelsOf(new WebAssembly.Instance(new WebAssembly.Module(bytes), imports));
  } catch {
    return null;
  }
}

/** instantiate, asynchronously (allowed on every thread). */
async function instantiateAsync(): Promise<ExactKernels | null> {
  try {
    const bytes = exactModuleBytes();
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
    return kernelsOf((await WebAssembly.instantiate(bytes, imports)).instance);
  } catch {
    return null;
  }
}

/**
 * Compiles and instantiates the kernels (the scratch instance and the decode arena's) ahead of use,
 * asynchronously, so they are available on a browser's main thread too. CpuBackend calls it when it
 * creates a model; without it they are instantiated synchronously on first use.
 */
export async function prepareExactKernels(): Promise<void> {
  if (kernels === undefined) kernels = await instantiateAsync();
  if (decodeArena === undefined) decodeArena = arenaOf(await instantiateAsync());
}

let kernels: ExactKernels | null | undefined;
let enabled = true;

/**
 * How many times each kernel ran (counted by the wrappers below): lets tests prove the dispatch in ops.ts
 * really took the kernel, rather than comparing the JS loop with itself.
 */
export const exactKernelCalls = {
  exp: 0,
  swigluF: 0,
  swigluB: 0,
  rmsF: 0,
  rmsB: 0,
  causalSoftmax: 0,
  decodeAttention: 0,
};

/**
 * The CPU engine's switch for its exact kernels: off, the JS loops run instead (here and in wasmMatmul.ts,
 * whose epilogue and transpose follow it); on, the kernels. The same bits either way, so it only changes
 * speed: for the bench's off/on table and the tests that prove the identity.
 */
export function setExactKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether the exact kernels are on (the matmul's epilogue in wasmMatmul.ts follows this switch too). */
export function exactKernelsEnabled(): boolean {
  return enabled;
}

/** The instantiated kernels, or null where WebAssembly SIMD is unavailable or they are turned off. */
export function exactKernels(): ExactKernels | null {
  if (!enabled) return null;
  if (kernels === undefined) kernels = instantiate();
  return kernels;
}

/** n rounded up to what a kernel iteration consumes (2 LANES values; a multiple of 4). */
const padded = (n: number) => Math.ceil(n / (2 * LANES)) * 2 * LANES;

/**
 * The kernels and room in their memory for `arrays` float32 arrays of n elements each, 16-byte aligned
 * (their element offsets), or null when the kernels are unavailable or off or the memory cannot grow.
 */
function kernelLayout(
  arrays: number,
  n: number,
): { k: ExactKernels; heap: Float32Array; at: number[] } | null {
  const k = exactKernels();
  const stride = padded(n); // elements: a multiple of 4, so every array starts 16-byte aligned
  if (!k || !ensureMemory(k.memory, arrays * stride * 4)) return null;
  const at = Array.from({ length: arrays }, (_, i) => i * stride);
  return { k, heap: new Float32Array(k.memory.buffer), at };
}

/** swigluForward on the kernel; false (nothing done) when it is unavailable. */
export function swigluForwardWasm(
  out: Float32Array,
  gate: Float32Array,
  up: Float32Array,
  n: number,
): boolean {
  const layout = kernelLayout(3, n);
  if (!layout) return false;
  const { k, heap, at } = layout;
  heap.set(gate.subarray(0, n), at[0]);
  heap.set(up.subarray(0, n), at[1]);
  exactKernelCalls.swigluF++;
  k.swigluF(at[0] * 4, at[1] * 4, at[2] * 4, padded(n));
  out.set(heap.subarray(at[2], at[2] + n));
  return true;
}

/** swigluBackward on the kernel; false (nothing done) when it is unavailable. */
export function swigluBackwardWasm(
  dgate: Float32Array,
  dup: Float32Array,
  dout: Float32Array,
  gate: Float32Array,
  up: Float32Array,
  n: number,
): boolean {
  const layout = kernelLayout(5, n);
  if (!layout) return false;
  const { k, heap, at } = layout;
  heap.set(dout.subarray(0, n), at[0]);
  heap.set(gate.subarray(0, n), at[1]);
  heap.set(up.subarray(0, n), at[2]);
  exactKernelCalls.swigluB++;
  k.swigluB(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4, at[4] * 4, padded(n));
  dgate.set(heap.subarray(at[3], at[3] + n));
  dup.set(heap.subarray(at[4], at[4] + n));
  return true;
}

/**
 * The attention forward's causal softmax of a (rows, len) block in place (see causalSoftmaxFunction);
 * false (nothing done) when the kernels are unavailable or off.
 */
export function causalSoftmaxWasm(scores: Float32Array, rows: number, len: number, scale: number): boolean {
  const k = exactKernels();
  if (!k) return false;
  const n = rows * len;
  if (!ensureMemory(k.memory, n * 4)) return false;
  const heap = new Float32Array(k.memory.buffer);
  heap.set(scores.subarray(0, n));
  exactKernelCalls.causalSoftmax++;
  k.causalSoftmax(0, rows, len, scale);
  scores.set(heap.subarray(0, n));
  return true;
}

/** rmsnormForward on the kernel (see rmsnormForwardFunction); false (nothing done) when unavailable or off. */
export function rmsnormForwardWasm(
  out: Float32Array,
  rstd: Float32Array,
  inp: Float32Array,
  weight: Float32Array,
  N: number,
  C: number,
  eps: number,
): boolean {
  const layout = kernelLayout(4, N * C); // inp, out, weight, rstd (each fits N * C)
  if (!layout) return false;
  const { k, heap, at } = layout;
  heap.set(inp.subarray(0, N * C), at[0]);
  heap.set(weight.subarray(0, C), at[2]);
  exactKernelCalls.rmsF++;
  k.rmsF(at[1] * 4, at[3] * 4, at[0] * 4, at[2] * 4, N, C, eps);
  out.set(heap.subarray(at[1], at[1] + N * C));
  rstd.set(heap.subarray(at[3], at[3] + N));
  return true;
}

/** rmsnormBackward on the kernel (see rmsnormBackwardFunction); false (nothing done) when unavailable or off. */
export function rmsnormBackwardWasm(
  dinp: Float32Array,
  dweight: Float32Array,
  dout: Float32Array,
  inp: Float32Array,
  weight: Float32Array,
  rstd: Float32Array,
  N: number,
  C: number,
): boolean {
  const layout = kernelLayout(6, N * C); // dout, inp, dinp, weight, dweight, rstd
  if (!layout) return false;
  const { k, heap, at } = layout;
  heap.set(dout.subarray(0, N * C), at[0]);
  heap.set(inp.subarray(0, N * C), at[1]);
  heap.set(weight.subarray(0, C), at[3]);
  heap.set(dweight.subarray(0, C), at[4]);
  heap.set(rstd.subarray(0, N), at[5]);
  exactKernelCalls.rmsB++;
  k.rmsB(at[2] * 4, at[4] * 4, at[0] * 4, at[1] * 4, at[3] * 4, at[5] * 4, N, C);
  dinp.set(heap.subarray(at[2], at[2] + N * C));
  dweight.set(heap.subarray(at[4], at[4] + C));
  return true;
}

/**
 * exp of values[0..n) in place (float64), on the kernel when available, else with fdExp: the same
 * bits either way.
 */
export function expInPlace(values: Float64Array, n: number): void {
  const k = exactKernels();
  if (!k || n < 8) {
    for (let i = 0; i < n; i++) values[i] = fdExp(values[i]);
    return;
  }
  if (!ensureMemory(k.memory, padded(n) * 8)) {
    for (let i = 0; i < n; i++) values[i] = fdExp(values[i]);
    return;
  }
  const heap = new Float64Array(k.memory.buffer);
  heap.set(values.subarray(0, n));
  exactKernelCalls.exp++;
  k.exp(0, padded(n));
  values.set(heap.subarray(0, n));
}

// ---------------------------------------------------------------------------------------------------
// KV-cache decoding. The cache lives in the memory of an instance of its own, so the decode attention
// kernel reads it where the model writes it (no copy per step), with the per-step scratch after it.
// One cache at a time: a second one, while the first is held, gets plain arrays (the JS loops).

interface DecodeArena {
  kernels: ExactKernels;
  /** The cache that holds the arena, or null. */
  owner: object | null;
  /** Float32 offsets of the scratch: q and out (rows x H*D each), scores (H*maxT + 2), slots, positions. */
  q: number;
  out: number;
  scores: number;
  slots: number;
  positions: number;
  /** What the scratch was sized for. */
  rows: number;
  rowFloats: number;
  maxT: number;
}

let decodeArena: DecodeArena | null | undefined;

/** A free arena on the instance `k` (null stays null). */
function arenaOf(k: ExactKernels | null): DecodeArena | null {
  return (
    k && {
      kernels: k,
      owner: null,
      q: 0,
      out: 0,
      scores: 0,
      slots: 0,
      positions: 0,
      rows: 0,
      rowFloats: 0,
      maxT: 0,
    }
  );
}

/** A KV cache's per-layer key and value arrays in the decode arena; release() hands the arena back. */
export interface WasmKvCache {
  k: Float32Array[];
  v: Float32Array[];
  release(): void;
}

/**
 * Keys and values for `layers` layers of `size` float32 each, in the decode arena, with scratch for
 * decoding up to `slots` rows of `heads` x `headDim` at up to `maxT` positions. Null when the kernels are
 * unavailable or off, or the arena is held by another cache.
 */
export function allocateWasmKvCache(
  layers: number,
  size: number,
  slots: number,
  maxT: number,
  heads: number,
  headDim: number,
): WasmKvCache | null {
  if (!enabled) return null;
  if (decodeArena === undefined) decodeArena = arenaOf(instantiate());
  const arena = decodeArena;
  if (!arena || arena.owner) return null;
  const align = (x: number) => Math.ceil(x / 4) * 4; // float32 offsets, 16-byte aligned
  const rowFloats = heads * headDim;
  const q = align(2 * layers * size);
  const out = align(q + slots * rowFloats);
  const scores = align(out + slots * rowFloats);
  const slotsAt = align(scores + heads * maxT + 2);
  const positions = align(slotsAt + slots);
  if (!ensureMemory(arena.kernels.memory, (positions + slots) * 4)) return null; // plain arrays instead
  const owner = {};
  Object.assign(arena, { owner, q, out, scores, slots: slotsAt, positions, rows: slots, rowFloats, maxT });
  const buffer = arena.kernels.memory.buffer;
  // Zeros, as a fresh array would hold, not the previous cache's keys and values.
  new Float32Array(buffer, 0, 2 * layers * size).fill(0);
  const view = (i: number) => new Float32Array(buffer, i * size * 4, size);
  return {
    k: Array.from({ length: layers }, (_, l) => view(l)),
    v: Array.from({ length: layers }, (_, l) => view(layers + l)),
    release: () => {
      if (arena.owner === owner) arena.owner = null;
    },
  };
}

/**
 * attentionDecodeForward (ops.ts) on the kernel, for caches allocated by allocateWasmKvCache; false (and
 * nothing done) for any other arrays, shapes the kernel does not take (D not a multiple of 4), or when
 * the kernels are off. Positions must have been checked by the caller.
 */
export function attentionDecodeWasm(
  out: Float32Array,
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  slots: Int32Array,
  positions: Int32Array,
  R: number,
  maxT: number,
  H: number,
  KVH: number,
  D: number,
): boolean {
  const arena = decodeArena;
  if (!enabled || !arena?.owner) return false;
  const memory = arena.kernels.memory.buffer;
  if (kCache.buffer !== memory || vCache.buffer !== memory) return false;
  if (D % 4 !== 0 || H % KVH !== 0 || R > arena.rows || H * D !== arena.rowFloats || maxT > arena.maxT)
    return false;
  const heap = new Float32Array(memory);
  const ints = new Int32Array(memory);
  heap.set(q.subarray(0, R * H * D), arena.q);
  heap.fill(0, arena.out, arena.out + R * H * D);
  ints.set(slots.subarray(0, R), arena.slots);
  ints.set(positions.subarray(0, R), arena.positions);
  exactKernelCalls.decodeAttention++;
  arena.kernels.decodeAttention(
    arena.out * 4,
    arena.q * 4,
    kCache.byteOffset,
    vCache.byteOffset,
    arena.slots * 4,
    arena.positions * 4,
    arena.scores * 4,
    R,
    maxT,
    H,
    H / KVH,
    D,
    1 / Math.sqrt(D),
  );
  out.set(heap.subarray(arena.out, arena.out + R * H * D));
  return true;
}
