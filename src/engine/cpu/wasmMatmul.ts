// A WebAssembly SIMD kernel for the one product the CPU engine spends most of its time in,
// out (M, N) = a (M, K) · bᵀ (b is (N, K)), assembled here from a commented instruction list (no
// toolchain, no binary blob). JavaScript has no SIMD, so this runs 4 float32 lanes per instruction;
// ops.ts uses it for float32 arrays when the platform validates it, and keeps the plain JS loops for
// float64 (finite-difference tests), tiny products and platforms without wasm SIMD.
//
// Kernel contract (all sizes padded by the caller): M % 4 == 0, N % 2 == 0, K % 4 == 0, operands
// row-major float32 at byte offsets aPtr, bPtr, cPtr of the module's memory. Register block: 4 rows of
// a x 2 rows of b, each accumulator a f32x4 over 4 consecutive k, summed across lanes at the end.
// Accumulation is in float32 (like the WGSL kernels), so results differ from the float64-accumulating
// JS loops by float32 rounding (~1e-7 relative per term). A second function, `out`, gathers the padded
// result rows, adding the bias or the caller's values (accumulate) in wasm: the same bits as the JS loop
// it replaced, at a fraction of its cost.

import { code, ensureMemory, forRange, I32, moduleBytes, op, V128 } from './wasmAssembler';
import { exactKernelsEnabled } from './wasmExact';

// Parameters 0..5: aPtr, bPtr, cPtr (bytes), M, N, K (elements).
const P = { a: 0, b: 1, c: 2, M: 3, N: 4, K: 5 };
// i32 locals.
const L = { m: 6, n: 7, k: 8, rowBytes: 9, aRow: 10, bRow: 14, cAddr: 16 }; // aRow 10..13, bRow 14..15
const I32_LOCALS = 11; // indices 6..16
// v128 locals: accumulators acc[i][j] (i < 4 rows of a, j < 2 rows of b), then x[i], y[j].
const ACC = 17;
const X = 25;
const Y = 29;
const V128_LOCALS = 14; // indices 17..30
const acc = (i: number, j: number) => ACC + i * 2 + j;

/** The function's instructions (moduleBytes adds the final `end`). */
function kernelBody(): number[] {
  const body: number[] = [];
  const emit = (...parts: (number | number[])[]) => body.push(...code(...parts));
  // Row addresses of a and b: rows[0] = ptr + index * rowBytes, rows[i] = rows[i-1] + rowBytes.
  const rowAddresses = (ptr: number, index: number, rows: number, count: number) => {
    emit(
      op.localGet(ptr),
      op.localGet(index),
      op.localGet(L.rowBytes),
      op.i32Mul,
      op.i32Add,
      op.localSet(rows),
    );
    for (let i = 1; i < count; i++) {
      emit(op.localGet(rows + i - 1), op.localGet(L.rowBytes), op.i32Add, op.localSet(rows + i));
    }
  };
  // rowBytes = K << 2; m = 0
  emit(op.localGet(P.K), op.i32Const(2), op.i32Shl, op.localSet(L.rowBytes));
  emit(op.i32Const(0), op.localSet(L.m));
  emit(op.loop); // ---- over row blocks of a (m += 4)
  rowAddresses(P.a, L.m, L.aRow, 4);
  emit(op.i32Const(0), op.localSet(L.n));
  emit(op.loop); // ---- over row pairs of b (n += 2)
  rowAddresses(P.b, L.n, L.bRow, 2);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) emit(op.v128Zero, op.localSet(acc(i, j)));
  emit(op.i32Const(0), op.localSet(L.k));
  emit(op.loop); // ---- over k in steps of 4 floats (16 bytes)
  for (let j = 0; j < 2; j++) {
    emit(op.localGet(L.bRow + j), op.localGet(L.k), op.i32Add, op.v128Load, op.localSet(Y + j));
  }
  for (let i = 0; i < 4; i++) {
    emit(op.localGet(L.aRow + i), op.localGet(L.k), op.i32Add, op.v128Load, op.localSet(X + i));
    for (let j = 0; j < 2; j++) {
      // acc[i][j] += x[i] * y[j]
      emit(op.localGet(acc(i, j)), op.localGet(X + i), op.localGet(Y + j), op.f32x4Mul, op.f32x4Add);
      emit(op.localSet(acc(i, j)));
    }
  }
  emit(op.localGet(L.k), op.i32Const(16), op.i32Add, op.localSet(L.k));
  emit(op.localGet(L.k), op.localGet(L.rowBytes), op.i32LtU, op.brIf(0));
  emit(op.end); // ---- k
  // c[(m+i)*N + n + j] = sum of the 4 lanes of acc[i][j]
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++) {
      emit(op.localGet(P.c));
      emit(op.localGet(L.m), op.i32Const(i), op.i32Add, op.localGet(P.N), op.i32Mul);
      emit(op.localGet(L.n), op.i32Add, op.i32Const(j), op.i32Add, op.i32Const(2), op.i32Shl, op.i32Add);
      emit(op.localGet(acc(i, j)), op.f32x4ExtractLane(0));
      for (let lane = 1; lane < 4; lane++) {
        emit(op.localGet(acc(i, j)), op.f32x4ExtractLane(lane), op.f32Add);
      }
      emit(op.f32Store);
    }
  }
  emit(op.localGet(L.n), op.i32Const(2), op.i32Add, op.localSet(L.n));
  emit(op.localGet(L.n), op.localGet(P.N), op.i32LtU, op.brIf(0));
  emit(op.end); // ---- n
  emit(op.localGet(L.m), op.i32Const(4), op.i32Add, op.localSet(L.m));
  emit(op.localGet(L.m), op.localGet(P.M), op.i32LtU, op.brIf(0));
  emit(op.end); // ---- m
  return body;
}

/**
 * out(dst, N, M, c, Np, bias, hasBias, accumulate): the product's rows (stride Np) into dst (stride N),
 * plus bias[n] when hasBias, added to dst's values when accumulate: dst = [dst +] (c [+ bias]) in float32.
 * The JS loop it replaces computed each sum in float64 and rounded it to float32 on store; for one
 * addition of two float32 numbers that is the float32 sum itself (float64 has more than 2 x 24 + 2 bits,
 * so the double rounding is innocuous), so the bits are the same. (accumulate with a bias adds twice
 * before rounding: the caller keeps that case in JS.)
 */
function epilogueBody(): number[] {
  const [dst, N, M, c, Np, bias, hasBias, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [m, n, cRow, dRow] = [8, 9, 10, 11];
  const x = 12; // v128
  const get = op.localGet;
  const set = op.localSet;
  const at = (row: number) => code(get(row), get(n), op.i32Const(2), op.i32Shl, op.i32Add);
  const epilogueElement = (load: number[], add: number[], store: number[]) =>
    code(
      at(cRow),
      load,
      set(x),
      get(hasBias),
      op.if,
      get(x),
      get(bias),
      get(n),
      op.i32Const(2),
      op.i32Shl,
      op.i32Add,
      load,
      add,
      set(x),
      op.end,
      get(accumulate),
      op.if,
      at(dRow),
      load,
      get(x),
      add,
      set(x),
      op.end,
      at(dRow),
      get(x),
      store,
    );
  return code(
    op.i32Const(0),
    set(m),
    op.block,
    op.loop,
    get(m),
    get(M),
    op.i32GeU,
    op.brIf(1),
    get(c),
    get(m),
    get(Np),
    op.i32Mul,
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(cRow),
    get(dst),
    get(m),
    get(N),
    op.i32Mul,
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(dRow),
    op.i32Const(0),
    set(n),
    // Four columns at a time while they fit, then one at a time.
    op.block,
    op.loop,
    get(n),
    op.i32Const(4),
    op.i32Add,
    get(N),
    op.i32GtU,
    op.brIf(1),
    epilogueElement(op.v128Load, op.f32x4Add, op.v128Store),
    get(n),
    op.i32Const(4),
    op.i32Add,
    set(n),
    op.br(0),
    op.end,
    op.end,
    op.block,
    op.loop,
    get(n),
    get(N),
    op.i32GeU,
    op.brIf(1),
    epilogueElement(code(op.f32Load, op.f32x4Splat), op.f32x4Add, code(op.f32x4ExtractLane(0), op.f32Store)),
    get(n),
    op.i32Const(1),
    op.i32Add,
    set(n),
    op.br(0),
    op.end,
    op.end,
    get(m),
    op.i32Const(1),
    op.i32Add,
    set(m),
    op.br(0),
    op.end,
    op.end,
  );
}

/**
 * tr(src, rows, cols, dst): dst (cols, rows) = srcᵀ, float32. 4x4 blocks move as four v128 rows
 * shuffled into four columns; the ragged right columns and bottom rows go one element at a time.
 * Blocks are visited row-block by row-block, so the 4 source rows and the cols/4 destination lines
 * being written stay in cache.
 */
function transposeBody(): number[] {
  const [src, rows, cols, dst] = [0, 1, 2, 3];
  const [r, c, rows4, cols4, s, d] = [4, 5, 6, 7, 8, 9]; // i32
  const [x0, x1, x2, x3, t0, t1, t2, t3] = [10, 11, 12, 13, 14, 15, 16, 17]; // v128
  const get = op.localGet;
  const set = op.localSet;
  const bytes = (...lanes: number[]) => lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  // Lanes 0-3 are the first operand's floats, 4-7 the second's.
  const interleaveLow = op.i8x16Shuffle(bytes(0, 4, 1, 5));
  const interleaveHigh = op.i8x16Shuffle(bytes(2, 6, 3, 7));
  const lowHalves = op.i8x16Shuffle(bytes(0, 1, 4, 5));
  const highHalves = op.i8x16Shuffle(bytes(2, 3, 6, 7));
  const addr = (base: number, row: number[], stride: number, col: number[]) =>
    code(get(base), row, get(stride), op.i32Mul, col, op.i32Add, op.i32Const(2), op.i32Shl, op.i32Add);
  const plus = (local: number, k: number) => code(get(local), op.i32Const(k), op.i32Add);
  const scalar = (row: number) =>
    code(addr(dst, get(c), rows, get(row)), addr(src, get(row), cols, get(c)), op.f32Load, op.f32Store);
  const block = code(
    ...[x0, x1, x2, x3].map((x, i) => code(addr(src, plus(r, i), cols, get(c)), op.v128Load, set(x))),
    get(x0),
    get(x1),
    interleaveLow,
    set(t0),
    get(x0),
    get(x1),
    interleaveHigh,
    set(t1),
    get(x2),
    get(x3),
    interleaveLow,
    set(t2),
    get(x2),
    get(x3),
    interleaveHigh,
    set(t3),
    ...[
      [t0, t2, lowHalves],
      [t0, t2, highHalves],
      [t1, t3, lowHalves],
      [t1, t3, highHalves],
    ].map(([a, b, shuffle], i) =>
      code(
        addr(dst, plus(c, i), rows, get(r)),
        get(a as number),
        get(b as number),
        shuffle as number[],
        op.v128Store,
      ),
    ),
  );
  return code(
    get(rows),
    op.i32Const(-4),
    op.i32And,
    set(rows4),
    get(cols),
    op.i32Const(-4),
    op.i32And,
    set(cols4),
    forRange(
      r,
      op.i32Const(0),
      rows4,
      4,
      code(
        forRange(c, op.i32Const(0), cols4, 4, block),
        // The ragged right columns of these four rows.
        plus(r, 4),
        set(d),
        forRange(s, get(r), d, 1, forRange(c, get(cols4), cols, 1, scalar(s))),
      ),
    ),
    // The bottom rows.
    forRange(r, get(rows4), rows, 1, forRange(c, op.i32Const(0), cols, 1, scalar(r))),
  );
}

/** The complete module: the kernel `mm` (6 x i32) -> (), its epilogue `out`, and an exported memory. */
export function matmulModuleBytes(): Uint8Array<ArrayBuffer> {
  return moduleBytes([
    {
      name: 'mm',
      params: [I32, I32, I32, I32, I32, I32],
      results: [],
      locals: [
        [I32_LOCALS, I32],
        [V128_LOCALS, V128],
      ],
      body: kernelBody(),
    },
    {
      name: 'tr',
      params: [I32, I32, I32, I32],
      results: [],
      locals: [
        [6, I32],
        [8, V128],
      ],
      body: transposeBody(),
    },
    {
      name: 'out',
      params: [I32, I32, I32, I32, I32, I32, I32, I32],
      results: [],
      locals: [
        [4, I32],
        [1, V128],
      ],
      body: epilogueBody(),
    },
  ]);
}

interface WasmKernel {
  memory: WebAssembly.Memory;
  mm: (aPtr: number, bPtr: number, cPtr: number, M: number, N: number, K: number) => void;
  tr: (src: number, rows: number, cols: number, dst: number) => void;
  out: (
    dst: number,
    N: number,
    M: number,
    c: number,
    Np: number,
    bias: number,
    hasBias: number,
    accumulate: number,
  ) => void;
}

let kernel: WasmKernel | null | undefined;

/** The instantiated kernel, or null where WebAssembly SIMD is unavailable (then JS loops are used). */
export function wasmMatmulKernel(): WasmKernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    const bytes = matmulModuleBytes();
    if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      kernel = {
        memory: instance.exports.memory as WebAssembly.Memory,
        mm: instance.exports.mm as WasmKernel['mm'],
        out: instance.exports.out as WasmKernel['out'],
        tr: instance.exports.tr as WasmKernel['tr'],
      };
    }
  } catch {
    kernel = null;
  }
  return kernel;
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Copies a (rows, K) matrix into wasm memory at element offset `at` with rows padded to Kp columns of zeros. */
function copyPadded(
  heap: Float32Array,
  at: number,
  src: Float32Array,
  rows: number,
  K: number,
  Kp: number,
): void {
  if (K === Kp) {
    heap.set(src.subarray(0, rows * K), at);
    return;
  }
  for (let r = 0; r < rows; r++) {
    heap.set(src.subarray(r * K, r * K + K), at + r * Kp);
    heap.fill(0, at + r * Kp + K, at + r * Kp + Kp);
  }
}

/**
 * out (M, N) (= or +=) a (M, K) · bᵀ (b is (N, K)) + bias (N), on the wasm kernel. Returns false (and
 * does nothing) when the kernel is unavailable, so the caller falls back to JS.
 */
export function matmulNTWasm(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
): boolean {
  const k = wasmMatmulKernel();
  if (!k) return false;
  const Mp = roundUp(M, 4);
  const Np = roundUp(N, 2);
  const Kp = roundUp(K, 4);
  // Element offsets of A, B and C in the heap (float32 units, 16-byte aligned since Kp % 4 == 0).
  const aAt = 0;
  const bAt = aAt + Mp * Kp;
  const cAt = bAt + Np * Kp;
  // The result rows are gathered (bias added, out accumulated) in wasm into dAt, then copied out at once.
  const dAt = cAt + Mp * Np;
  const biasAt = dAt + M * N;
  if (!ensureMemory(k.memory, (biasAt + N) * 4)) return false;
  const heap = new Float32Array(k.memory.buffer);
  // Padded rows of a and b (M..Mp, N..Np) only feed outputs that are never read, so they are not cleared;
  // padded k columns feed real outputs and are zeroed.
  copyPadded(heap, aAt, a, M, K, Kp);
  copyPadded(heap, bAt, b, N, K, Kp);
  k.mm(aAt * 4, bAt * 4, cAt * 4, Mp, Np, Kp);
  if ((accumulate && bias) || !exactKernelsEnabled()) {
    // out += c + bias rounds once after two float64 additions: kept in JS to keep its bits. (The JS loop
    // also runs for every case while the exact kernels are switched off: the bench's "before".)
    for (let m = 0; m < M; m++) {
      const src = cAt + m * Np;
      const dst = m * N;
      if (accumulate) {
        if (bias) for (let n = 0; n < N; n++) out[dst + n] += heap[src + n] + bias[n];
        else for (let n = 0; n < N; n++) out[dst + n] += heap[src + n];
      } else if (bias) for (let n = 0; n < N; n++) out[dst + n] = heap[src + n] + bias[n];
      else out.set(heap.subarray(src, src + N), dst);
    }
    return true;
  }
  if (accumulate) heap.set(out.subarray(0, M * N), dAt);
  if (bias) heap.set(bias.subarray(0, N), biasAt);
  k.out(dAt * 4, N, M, cAt * 4, Np, biasAt * 4, bias ? 1 : 0, accumulate ? 1 : 0);
  out.set(heap.subarray(dAt, dAt + M * N));
  return true;
}

/**
 * out (cols, rows) = inpᵀ on the kernel (a copy in, the SIMD transpose, a copy out); false (nothing
 * done) when it is unavailable or the exact kernels are off. Data movement only: the same values.
 */
export function transposeWasm(out: Float32Array, inp: Float32Array, rows: number, cols: number): boolean {
  const k = wasmMatmulKernel();
  if (!k || !exactKernelsEnabled()) return false;
  const n = rows * cols;
  const dstAt = Math.ceil(n / 4) * 4;
  if (!ensureMemory(k.memory, (dstAt + n) * 4)) return false;
  const heap = new Float32Array(k.memory.buffer);
  heap.set(inp.subarray(0, n), 0);
  k.tr(0, rows, cols, dstAt * 4);
  out.set(heap.subarray(dstAt, dstAt + n));
  return true;
}
