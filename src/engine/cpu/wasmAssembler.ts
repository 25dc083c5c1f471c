// A minimal WebAssembly module assembler for the CPU engine's hand-written SIMD kernels (wasmMatmul.ts,
// wasmExact.ts): LEB128 numbers, the opcodes the kernels use, and a module of functions over one exported
// memory, with optional imported host functions. No toolchain and no binary blob: each kernel is an
// instruction list written in TypeScript, validated by WebAssembly.validate and tested against JS loops.

/** Unsigned LEB128. */
export function u32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const and i64.const immediates). */
export function sleb(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift: BigInt keeps the sign
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F64 | typeof V128;

/** SIMD instructions: the 0xfd prefix and the LEB128 sub-opcode. */
const simd = (code: number, ...immediates: number[]) => [0xfd, ...u32(code), ...immediates];
/** Memory immediate: alignment exponent and offset 0 (addresses are computed in full by the kernels). */
const memarg = (alignLog2: number) => [alignLog2, 0x00];

function v128Bytes(write: (view: DataView) => void): number[] {
  const view = new DataView(new ArrayBuffer(16));
  write(view);
  return Array.from(new Uint8Array(view.buffer));
}

export const op = {
  // Control and locals.
  block: [0x02, 0x40], // block with empty block type
  loop: [0x03, 0x40], // loop with empty block type
  if: [0x04, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...u32(depth)],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  call: (index: number) => [0x10, ...u32(index)],
  localGet: (i: number) => [0x20, ...u32(i)],
  localSet: (i: number) => [0x21, ...u32(i)],
  localTee: (i: number) => [0x22, ...u32(i)],
  select: [0x1b],
  // Scalars.
  i32Load: [0x28, ...memarg(2)],
  f32Load: [0x2a, ...memarg(2)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  f64Const: (v: number) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    return [0x44, ...new Uint8Array(view.buffer)];
  },
  i32LtU: [0x49],
  i32GtU: [0x4b],
  i32GeU: [0x4f],
  f64Gt: [0x64],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32DivU: [0x6e],
  i32RemU: [0x70],
  i32And: [0x71],
  i32Shl: [0x74],
  f32Add: [0x92],
  f64Sqrt: [0x9f],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f32DemoteF64: [0xb6],
  f64ConvertI32U: [0xb8],
  f64PromoteF32: [0xbb],
  f32Store: [0x38, ...memarg(2)],
  // v128 memory and constants.
  v128Load: simd(0x00, ...memarg(2)), // 4-byte aligned (float arrays)
  v128Store: simd(0x0b, ...memarg(2)),
  v128Load64Zero: simd(0x5d, ...memarg(2)), // 8 bytes into the low half, high half zero
  v128Store64Lane0: simd(0x5b, ...memarg(2), 0), // the low 8 bytes
  v128Zero: simd(0x0c, ...new Array(16).fill(0)),
  /** Lanes of (a, b) by byte index 0..31: the 16 bytes of the result. */
  i8x16Shuffle: (bytes: number[]) => simd(0x0d, ...bytes),
  f64x2Const: (a: number, b = a) =>
    simd(
      0x0c,
      ...v128Bytes((v) => {
        v.setFloat64(0, a, true);
        v.setFloat64(8, b, true);
      }),
    ),
  i64x2Const: (a: bigint, b = a) =>
    simd(
      0x0c,
      ...v128Bytes((v) => {
        v.setBigInt64(0, a, true);
        v.setBigInt64(8, b, true);
      }),
    ),
  // Lanes.
  f32x4ExtractLane: (lane: number) => simd(0x1f, lane),
  f32x4Splat: simd(0x13),
  f64x2Splat: simd(0x14),
  f64x2ExtractLane: (lane: number) => simd(0x21, lane),
  f64x2ReplaceLane: (lane: number) => simd(0x22, lane),
  // Bitwise.
  v128Not: simd(0x4d),
  v128And: simd(0x4e),
  v128AndNot: simd(0x4f), // a & ~b
  v128Or: simd(0x50),
  v128Bitselect: simd(0x52), // (a & mask) | (b & ~mask), operands a, b, mask
  v128AnyTrue: simd(0x53),
  // float32 lanes.
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
  f32x4DemoteF64x2Zero: simd(0x5e),
  f64x2PromoteLowF32x4: simd(0x5f),
  // float64 lanes.
  f64x2Eq: simd(0x47),
  f64x2Lt: simd(0x49),
  f64x2Trunc: simd(0x7a),
  f64x2Abs: simd(0xec),
  f64x2Neg: simd(0xed),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Div: simd(0xf3),
  // int64 lanes.
  i64x2Shl: simd(0xcb),
};

/** Flattens instruction pieces (opcodes and immediates) into one byte list. */
export function code(...parts: (number | number[])[]): number[] {
  const out: number[] = [];
  for (const p of parts) {
    if (Array.isArray(p)) out.push(...p);
    else out.push(p);
  }
  return out;
}

/** A counted loop: i = from; while (i < to) { body; i += step }, with i and `to` i32 locals (unsigned). */
export function forRange(i: number, from: number[], to: number, step: number, body: number[]): number[] {
  return code(
    from,
    op.localSet(i),
    op.block,
    op.loop,
    op.localGet(i),
    op.localGet(to),
    op.i32GeU,
    op.brIf(1),
    body,
    op.localGet(i),
    op.i32Const(step),
    op.i32Add,
    op.localSet(i),
    op.br(0),
    op.end,
    op.end,
  );
}

export interface FunctionSpec {
  name: string;
  params: ValueType[];
  results: ValueType[];
  /** Extra locals after the parameters, as [count, type] runs. */
  locals: [number, ValueType][];
  /** The instructions, without the final `end`. */
  body: number[];
}

export interface ImportSpec {
  module: string;
  name: string;
  params: ValueType[];
  results: ValueType[];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...u32(payload.length), ...payload];
}

function name(s: string): number[] {
  return [...u32(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const funcType = (params: ValueType[], results: ValueType[]) => [
  0x60,
  ...u32(params.length),
  ...params,
  ...u32(results.length),
  ...results,
];

/**
 * A module of `functions` (exported by name) after `imports` (so an imported function has index i and
 * the j-th defined function index imports.length + j), with one memory (min 1 page) exported as "memory".
 */
export function moduleBytes(functions: FunctionSpec[], imports: ImportSpec[] = []): Uint8Array<ArrayBuffer> {
  const all = [...imports, ...functions];
  const types = all.map((f) => funcType(f.params, f.results));
  const importEntries = imports.map((imp, i) => [...name(imp.module), ...name(imp.name), 0x00, ...u32(i)]);
  const bodies = functions.map((f) => {
    const locals = [...u32(f.locals.length), ...f.locals.flatMap(([n, t]) => [...u32(n), t])];
    const body = [...locals, ...f.body, ...op.end];
    return [...u32(body.length), ...body];
  });
  const exports = [
    ...functions.map((f, j) => [...name(f.name), 0x00, ...u32(imports.length + j)]),
    [...name('memory'), 0x02, 0],
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
    ...section(1, [...u32(types.length), ...types.flat()]), // one type per function, in index order
    ...(imports.length ? section(2, [...u32(imports.length), ...importEntries.flat()]) : []),
    ...section(3, [...u32(functions.length), ...functions.flatMap((_, j) => u32(imports.length + j))]),
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [...u32(exports.length), ...exports.flat()]),
    ...section(10, [...u32(functions.length), ...bodies.flat()]),
  ]);
}

/**
 * Grows `memory` to at least `bytes` (whole 64 KiB pages); views made before a growth are detached.
 * False when the memory cannot grow that far (the caller then runs its plain JavaScript path).
 */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (have >= bytes) return true;
  try {
    memory.grow(Math.ceil((bytes - have) / 65536));
    return true;
  } catch {
    return false;
  }
}
