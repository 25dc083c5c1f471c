// WebAssembly SIMD kernels that return exactly the bits of the CPU engine's JavaScript loops, for the
// loops whose time goes to Math.exp (about 12 ns a call in V8): SwiGLU forward and backward, and a batch
// exp that the softmaxes use. Being bit-identical is the point: a run replays the same on either path, so
// the study records computed before these kernels existed still replay exactly.
//
// How the bits stay the same:
// - exp is fdlibm's e_exp.c algorithm, which V8 (ieee754::exp) and SpiderMonkey use for Math.exp,
//   written with the same float64 operations in the same order, two lanes at a time (no fused
//   multiply-add exists in wasm SIMD, and none is used by that C code on x86-64). Arguments outside its
//   main path (|x| >= 707, NaN, and x = 1, which fdlibm special-cases) call the host's Math.exp itself.
// - Everything around exp is the JS loop's float64 arithmetic in its order (float32 inputs widened
//   exactly, results rounded to float32 once on store, as a Float32Array store does).
// Tests compare every kernel with the JS loop bit for bit (wasmExact.test.ts), and exp with Math.exp.

import { code, ensureMemory, F64, type FunctionSpec, I32, moduleBytes, op, V128 } from './wasmAssembler';

// fdlibm e_exp.c constants (IEEE doubles written as their hexadecimal bit patterns, as fdlibm lists them).
const bits = (hex: bigint) => new Float64Array(new BigInt64Array([hex]).buffer)[0];
const LN2_HI = bits(0x3fe62e42fee00000n);
const LN2_LO = bits(0x3dea39ef35793c76n);
const INV_LN2 = bits(0x3ff71547652b82fen);
const P1 = bits(0x3fc555555555553en);
const P2 = bits(0xbf66c16c16bebd93n);
const P3 = bits(0x3f11566aaf25de2cn);
const P4 = bits(0xbebbbd41c5d26bf1n);
const P5 = bits(0x3e66376972bea4d0n);
/** |x| from here on (and NaN) goes to the host's Math.exp: overflow, underflow and 2^k scaling limits. */
const SLOW_ABOVE = 707;

/**
 * Allocates v128 locals after a function's parameters and i32 locals, and holds the kernel's constants
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
 * `hostExp` is the index of the imported Math.exp. fdlibm's branches become lane selects:
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
    // The host's Math.exp for |x| >= SLOW_ABOVE, NaN (the comparison is false) and x = 1.
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

/**
 * The loop shared by the kernels: `bytes` (i32 local) counts up in steps of `step` to `endBytes` (i32 local),
 * running `body` each time, after setting the constants' locals that `body` uses.
 */
function loopOver(locals: Locals, offset: number, endBytes: number, step: number, body: number[]): number[] {
  return code(
    locals.prologue(),
    op.block,
    op.loop,
    get(offset),
    get(endBytes),
    op.i32GeU,
    op.brIf(1),
    body,
    get(offset),
    op.i32Const(step),
    op.i32Add,
    set(offset),
    op.br(0),
    op.end,
    op.end,
  );
}

/** Vectors of two float64 lanes in flight per loop iteration (see expInstructions). */
const LANES = 4;
const HOST_EXP = 0; // function index of the imported Math.exp

/** exp(ptr: bytes, n: count): n float64 values in place; n even. */
function expFunction(): FunctionSpec {
  const [ptr, n, offset, end] = [0, 1, 2, 3];
  const locals = new Locals(4);
  const xs = Array.from({ length: LANES }, () => locals.v128());
  const outs = Array.from({ length: LANES }, () => locals.v128());
  const body = code(
    get(ptr),
    get(n),
    op.i32Const(8),
    op.i32Mul,
    op.i32Add,
    set(end),
    get(ptr),
    set(offset),
    loopOver(
      locals,
      offset,
      end,
      16 * LANES,
      code(
        ...xs.map((x, i) => code(get(offset), op.i32Const(16 * i), op.i32Add, op.v128Load, set(x))),
        expInstructions(xs, outs, HOST_EXP, locals),
        ...outs.map((out, i) => code(get(offset), op.i32Const(16 * i), op.i32Add, get(out), op.v128Store)),
      ),
    ),
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
      loopOver(locals, offset, end, 8 * LANES, loopBody),
    ),
  };
}

const pairs = () => Array.from({ length: LANES }, (_, i) => i);

/** swigluF(gate, up, out: bytes, n): out = (g / (1 + exp(-g))) * u. */
function swigluForwardFunction(): FunctionSpec {
  const [gate, up, out] = [0, 1, 2];
  return elementwiseFunction('swigluF', 3, (locals, offset) => {
    const v = pairs().map(() => ({ g: locals.v128(), negG: locals.v128(), e: locals.v128() }));
    return code(
      ...v.map((p, i) => code(loadPair(gate, offset, i), op.localTee(p.g), op.f64x2Neg, set(p.negG))),
      expInstructions(
        v.map((p) => p.negG),
        v.map((p) => p.e),
        HOST_EXP,
        locals,
      ),
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
      ...v.map((p, i) => code(loadPair(gate, offset, i), op.localTee(p.g), op.f64x2Neg, set(p.negG))),
      expInstructions(
        v.map((p) => p.negG),
        v.map((p) => p.e),
        HOST_EXP,
        locals,
      ),
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

/** The module: Math.exp imported as host.exp, then the kernels. */
export function exactModuleBytes(): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    [expFunction(), swigluForwardFunction(), swigluBackwardFunction()],
    [{ module: 'host', name: 'exp', params: [F64], results: [F64] }],
  );
}

interface ExactKernels {
  memory: WebAssembly.Memory;
  exp: (ptr: number, n: number) => void;
  swigluF: (gate: number, up: number, out: number, n: number) => void;
  swigluB: (dout: number, gate: number, up: number, dgate: number, dup: number, n: number) => void;
}

let kernels: ExactKernels | null | undefined;
let enabled = true;

/**
 * Turns the kernels off (the JS loops run instead) or back on; the results are the same bits either
 * way, so this only changes speed. For the bench's before/after and the tests that prove the identity.
 */
export function setExactKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** The instantiated kernels, or null where WebAssembly SIMD is unavailable or they are turned off. */
export function exactKernels(): ExactKernels | null {
  if (!enabled) return null;
  if (kernels !== undefined) return kernels;
  kernels = null;
  try {
    const bytes = exactModuleBytes();
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { host: { exp: Math.exp } });
      const e = instance.exports;
      kernels = {
        memory: e.memory as WebAssembly.Memory,
        exp: e.exp as ExactKernels['exp'],
        swigluF: e.swigluF as ExactKernels['swigluF'],
        swigluB: e.swigluB as ExactKernels['swigluB'],
      };
    }
  } catch {
    kernels = null;
  }
  return kernels;
}

/** n rounded up to what a kernel iteration consumes (2 LANES values; a multiple of 4). */
const padded = (n: number) => Math.ceil(n / (2 * LANES)) * 2 * LANES;

/** Room for `arrays` float32 arrays of n elements each, 16-byte aligned: their byte offsets. */
function layoutF32(k: ExactKernels, arrays: number, n: number): { heap: Float32Array; at: number[] } {
  const stride = padded(n); // elements: a multiple of 4, so every array starts 16-byte aligned
  ensureMemory(k.memory, arrays * stride * 4);
  const at = Array.from({ length: arrays }, (_, i) => i * stride);
  return { heap: new Float32Array(k.memory.buffer), at };
}

/** swigluForward on the kernel; false (nothing done) when it is unavailable. */
export function swigluForwardWasm(
  out: Float32Array,
  gate: Float32Array,
  up: Float32Array,
  n: number,
): boolean {
  const k = exactKernels();
  if (!k) return false;
  const { heap, at } = layoutF32(k, 3, n);
  heap.set(gate.subarray(0, n), at[0]);
  heap.set(up.subarray(0, n), at[1]);
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
  const k = exactKernels();
  if (!k) return false;
  const { heap, at } = layoutF32(k, 5, n);
  heap.set(dout.subarray(0, n), at[0]);
  heap.set(gate.subarray(0, n), at[1]);
  heap.set(up.subarray(0, n), at[2]);
  k.swigluB(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4, at[4] * 4, padded(n));
  dgate.set(heap.subarray(at[3], at[3] + n));
  dup.set(heap.subarray(at[4], at[4] + n));
  return true;
}

/**
 * exp of values[0..n) in place (float64), on the kernel when available, else with Math.exp: the same
 * bits either way.
 */
export function expInPlace(values: Float64Array, n: number): void {
  const k = exactKernels();
  if (!k || n < 8) {
    for (let i = 0; i < n; i++) values[i] = Math.exp(values[i]);
    return;
  }
  ensureMemory(k.memory, padded(n) * 8);
  const heap = new Float64Array(k.memory.buffer);
  heap.set(values.subarray(0, n));
  k.exp(0, padded(n));
  values.set(heap.subarray(0, n));
}
