// The kernel descriptor and the one dispatcher every WGSL op goes through (webgpu-torch / tfjs style):
// a kernel is typed data (shader file, entry point, bindings with access modes, uniform fields,
// `override` constants, dispatch math), and KernelRunner turns it into cached pipelines and bind
// groups, records many dispatches into one command encoder per step, packs all uniforms of a step
// into one buffer (dynamic offsets, one writeBuffer), pools buffers so steady-state steps allocate
// nothing, reads results back, and optionally times each dispatch with GPU timestamps.
//
// Conventions shared with shaders/*.wgsl:
// - group 0; storage bindings are numbered 0..n-1 in the order of `bindings`; when the kernel has
//   uniform fields, `struct Params { ... }` is `var<uniform>` at binding n, its fields all 4-byte
//   scalars (u32 / i32 / f32) in the order of `uniforms`.
// - WebGPU treats a whole GPUBuffer as one resource: a buffer bound read_write may not appear in any
//   other binding of the same dispatch. Tensors that are read and written by one kernel therefore live
//   in separate buffers (the pool hands out one buffer per name); the runner checks this.
//
// Example (the residual add of shaders/elementwise.wgsl; every module describes its kernels this way):
//   const ADD = defineKernel({
//     shader: 'elementwise', entryPoint: 'add_forward',
//     bindings: { a: 'read', b: 'read', out: 'read_write' },
//     uniforms: { n: 'u32', alpha: 'f32' },
//     constants: { WORKGROUP_SIZE: 64 },
//     dispatch: (u) => grid1d(u.n, 64),
//   });
//   const runner = new KernelRunner(await acquireNodeGpu());
//   const x = runner.pool.tensor('x', n), y = runner.pool.tensor('y', n), out = runner.pool.tensor('out', n);
//   runner.write(x, xs); runner.write(y, ys);
//   const step = runner.begin('residual');
//   step.dispatch(ADD, { a: x, b: y, out }, { n, alpha: 1 });
//   const result = step.read(out);           // resolves after submit
//   await step.submit();
//   console.log(await result);
import type { GpuContext } from './device';
import { shaderSource } from './shaders';

export type BindingAccess = 'read' | 'read_write';
export type UniformType = 'u32' | 'i32' | 'f32';

export interface KernelBinding<N extends string = string> {
  name: N;
  access: BindingAccess;
}

export interface UniformField<N extends string = string> {
  name: N;
  type: UniformType;
}

/** A WGSL compute entry point described as data; the runner needs nothing else to run it. */
export interface Kernel<B extends string = string, U extends string = string> {
  /** File name under shaders/ without `.wgsl`. */
  shader: string;
  entryPoint: string;
  /** Storage bindings in @binding order (group 0). */
  bindings: readonly KernelBinding<B>[];
  /** Fields of the uniform `Params` struct bound after the storage bindings; omit when none. */
  uniforms?: readonly UniformField<U>[];
  /** Values for the shader's `override` constants (workgroup sizes, tile sizes). */
  constants?: Readonly<Record<string, number>>;
  /** Workgroup counts for one dispatch, from the uniform values (x, y, z). */
  dispatch: (uniforms: Readonly<Record<U, number>>) => readonly [number, number?, number?];
  /** Pipeline cache key; defaults to shader + entry point + constants. */
  key?: string;
  /** Shown in timings and errors; defaults to `shader.entryPoint`. */
  label?: string;
}

/**
 * A kernel as the op modules write it: bindings and uniform fields as records, whose key order is the
 * @binding order and the `Params` field order (the rest as in Kernel).
 */
export interface KernelSpec<B extends string, U extends string>
  extends Omit<Kernel<B, U>, 'bindings' | 'uniforms'> {
  bindings: Readonly<Record<B, BindingAccess>>;
  uniforms?: Readonly<Record<U, UniformType>>;
}

/** The one way the op modules describe a kernel: a KernelSpec turned into the runner's Kernel. */
export function defineKernel<B extends string, U extends string = never>(
  spec: KernelSpec<B, U>,
): Kernel<B, U> {
  const { bindings, uniforms, ...rest } = spec;
  const kernel: Kernel<B, U> = {
    ...rest,
    bindings: (Object.entries(bindings) as [B, BindingAccess][]).map(([name, access]) => ({ name, access })),
  };
  if (uniforms) {
    kernel.uniforms = (Object.entries(uniforms) as [U, UniformType][]).map(([name, type]) => ({
      name,
      type,
    }));
  }
  return kernel;
}

/**
 * defineKernel for kernels of one shader that share their uniform struct and constants:
 * `const norm = kernelFamily({ shader, uniforms, constants })`, then `norm(entryPoint, bindings, dispatch)`.
 */
export function kernelFamily<U extends string>(
  shared: Omit<KernelSpec<never, U>, 'entryPoint' | 'bindings' | 'dispatch'>,
) {
  return <B extends string>(
    entryPoint: string,
    bindings: Readonly<Record<B, BindingAccess>>,
    dispatch: Kernel<B, U>['dispatch'],
  ): Kernel<B, U> => defineKernel<B, U>({ ...shared, entryPoint, bindings, dispatch });
}

/**
 * Every kernel a module exports (e.g. `import * as ops from './ops'`), for precompiling at start-up:
 * found by shape, so no hand-kept list can fall behind the module. A Kernel<B, U> is not a
 * Kernel<string, string> to TypeScript (its dispatch is contravariant in U), hence the guard.
 */
export function kernelsIn(module: Readonly<Record<string, unknown>>): Kernel[] {
  return Object.values(module).filter(
    (value): value is Kernel =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Kernel).shader === 'string' &&
      typeof (value as Kernel).entryPoint === 'string' &&
      Array.isArray((value as Kernel).bindings) &&
      typeof (value as Kernel).dispatch === 'function',
  );
}

/** A range of a GPU buffer holding f32 / i32 / u32 elements (4 bytes each). */
export interface GpuTensor {
  buffer: GPUBuffer;
  /** Byte offset inside the buffer; a multiple of minStorageBufferOffsetAlignment when bound. */
  offset: number;
  /** Number of 4-byte elements. */
  elements: number;
  label: string;
  /**
   * Elements the binding covers (default `elements`). Pooled tensors bind their whole capacity, so a
   * bind group does not depend on the batch shape and the cache stays small when shapes vary.
   */
  bindElements?: number;
}

/** A config or batch that does not fit this adapter; the message says which limit and by how much. */
export class GpuCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuCapacityError';
  }
}

/** Workgroup counts covering n invocations with workgroups of `size`, folded into y beyond the x limit. */
export function grid1d(n: number, size: number, maxPerDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

/** kernelKey and layoutKey per kernel object: both are asked for on every dispatch (kernels are never changed once defined). */
const kernelKeys = new WeakMap<Kernel, string>();
const layoutKeys = new WeakMap<Kernel, string>();

export function kernelKey(kernel: Kernel): string {
  if (kernel.key) return kernel.key;
  let key = kernelKeys.get(kernel);
  if (key === undefined) {
    const constants = Object.entries(kernel.constants ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    key = `${kernel.shader}.${kernel.entryPoint}[${constants}]`;
    kernelKeys.set(kernel, key);
  }
  return key;
}

/**
 * Dispatches recorded and submissions made by every KernelRunner of this thread so far, and, while
 * gpuWorkOptions.measure is on, GPU milliseconds in compute passes and host milliseconds recording.
 * Benchmarks read it to tell host-bound from GPU-bound work: each dispatch costs host time to record and
 * each submission with readbacks a round trip, whatever the GPU.
 */
export const gpuWorkTotals = { dispatches: 0, submissions: 0, gpuMs: 0, hostMs: 0 };

/**
 * Thread-wide switch for benchmarks. With `measure` on:
 * - every compute pass a Step records is bracketed by GPU timestamps (when the adapter has
 *   timestamp-query) and the time between them is added to `gpuWorkTotals.gpuMs`: time in passes, i.e.
 *   kernels and the barriers between them, copies and idle gaps excluded. One query pair per pass, not
 *   per dispatch (that is `KernelRunner.profiling`, whose dispatch times are added too), so it costs one
 *   extra readback per submission and leaves the dispatches as they are;
 * - the host time spent in Step.dispatch, the synchronous part of Step.submit and KernelRunner.write
 *   (recording and uploading the GPU's work) is added to `gpuWorkTotals.hostMs`.
 * Their shares of a benchmark's wall-clock time say whether the GPU or the host's recording limits it.
 */
export const gpuWorkOptions = { measure: false };

const kernelLabel = (kernel: Kernel) => kernel.label ?? `${kernel.shader}.${kernel.entryPoint}`;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Layout signature: the access modes, plus whether a uniform slot follows. */
function layoutKey(kernel: Kernel): string {
  let key = layoutKeys.get(kernel);
  if (key === undefined) {
    key =
      kernel.bindings.map((b) => (b.access === 'read' ? 'r' : 'w')).join('') +
      (kernel.uniforms?.length ? 'u' : '');
    layoutKeys.set(kernel, key);
  }
  return key;
}

/**
 * Named, reusable GPU buffers. `tensor(name, n)` returns the same buffer for the same name as long as
 * it is big enough, so a training step with a fixed shape allocates nothing after its first run.
 */
export class BufferPool {
  private readonly buffers = new Map<string, GpuTensor>();
  private readonly capacity = new Map<string, number>();
  /** Bytes currently allocated by the pool. */
  bytes = 0;

  constructor(
    private readonly runner: KernelRunner,
    private readonly extraUsage = 0,
  ) {}

  /** A buffer of at least n elements under this name (zero-filled when first made or grown). */
  tensor(name: string, elements: number): GpuTensor {
    const existing = this.buffers.get(name);
    const cap = this.capacity.get(name) ?? 0;
    if (existing && cap >= elements) {
      if (existing.elements === elements) return existing;
      const view = { ...existing, elements };
      this.buffers.set(name, view);
      return view;
    }
    if (existing) {
      this.bytes -= cap * 4;
      this.runner.destroyBuffer(existing.buffer);
    }
    const buffer = this.runner.createBuffer(name, elements, this.extraUsage);
    const tensor = { buffer, offset: 0, elements, label: name, bindElements: Math.max(1, elements) };
    this.buffers.set(name, tensor);
    this.capacity.set(name, Math.max(1, elements));
    this.bytes += Math.max(1, elements) * 4;
    return tensor;
  }

  has(name: string): boolean {
    return this.buffers.has(name);
  }

  destroy(): void {
    for (const t of this.buffers.values()) this.runner.destroyBuffer(t.buffer);
    this.buffers.clear();
    this.capacity.clear();
    this.bytes = 0;
  }
}

/** Per-dispatch GPU time, summed by kernel label (only when the adapter has timestamp-query). */
export interface KernelTiming {
  label: string;
  count: number;
  ms: number;
}

interface PendingRead {
  source: GpuTensor;
  staging: GPUBuffer;
  bytes: number;
  resolve: (data: ArrayBuffer) => void;
  reject: (err: unknown) => void;
}

/**
 * One batch of GPU work: dispatches and copies recorded into a single command encoder, submitted once.
 * Uniform values of all dispatches are packed into the runner's uniform arena (256-byte slots in
 * 64 KiB chunks, bound with dynamic offsets) and uploaded by one writeBuffer per chunk at submit;
 * queue order guarantees that earlier submissions already read their own values.
 */
export class Step {
  private readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private uniformSlots = 0;
  private readonly reads: PendingRead[] = [];
  /** Timestamp pairs of this step: a profiled dispatch (label) or a whole compute pass (null). */
  private readonly timed: { label: string | null; index: number }[] = [];
  private closed = false;
  /** Dispatches recorded so far. */
  dispatches = 0;

  constructor(
    private readonly runner: KernelRunner,
    readonly label: string,
  ) {
    this.encoder = runner.device.createCommandEncoder({ label });
  }

  /** Records one dispatch of `kernel` on the given tensors with the given uniform values. */
  dispatch<B extends string, U extends string>(
    kernel: Kernel<B, U>,
    tensors: Readonly<Record<B, GpuTensor>>,
    uniforms: Readonly<Record<U, number>> = {} as Record<U, number>,
  ): void {
    if (!gpuWorkOptions.measure) {
      this.record(kernel, tensors, uniforms);
      return;
    }
    const t0 = performance.now();
    try {
      this.record(kernel, tensors, uniforms);
    } finally {
      gpuWorkTotals.hostMs += performance.now() - t0;
    }
  }

  private record<B extends string, U extends string>(
    kernel: Kernel<B, U>,
    tensors: Readonly<Record<B, GpuTensor>>,
    uniforms: Readonly<Record<U, number>>,
  ): void {
    this.assertOpen();
    const runner = this.runner;
    const groups = kernel.dispatch(uniforms);
    const [x, y = 1, z = 1] = groups;
    const maxDim = runner.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new GpuCapacityError(
        `${kernelLabel(kernel)}: dispatch ${x}x${y}x${z} workgroups exceeds this adapter's ` +
          `maxComputeWorkgroupsPerDimension (${maxDim}); use a smaller batch or sequence length.`,
      );
    }
    if (x === 0 || y === 0 || z === 0) return;
    const pipeline = runner.pipeline(kernel as Kernel);
    let uniformOffset = -1;
    let chunk = 0;
    if (kernel.uniforms?.length) {
      const slot = this.uniformSlots++;
      chunk = Math.floor(slot / runner.uniformSlotsPerChunk);
      uniformOffset = (slot % runner.uniformSlotsPerChunk) * runner.uniformStride;
      runner.packUniforms(kernel as Kernel, uniforms as Record<string, number>, chunk, uniformOffset);
    }
    const bindGroup = runner.bindGroup(kernel as Kernel, tensors as Record<string, GpuTensor>, chunk);
    const timestampIndex = runner.profiling ? runner.reserveTimestamps(this.timed.length) : -1;
    if (timestampIndex >= 0) {
      // Timed: one pass per dispatch so begin/end timestamps bracket exactly this kernel.
      this.endPass();
      const pass = this.encoder.beginComputePass({
        label: kernelLabel(kernel),
        timestampWrites: {
          querySet: runner.querySet!,
          beginningOfPassWriteIndex: timestampIndex,
          endOfPassWriteIndex: timestampIndex + 1,
        },
      });
      this.encodeInto(pass, pipeline, bindGroup, uniformOffset, x, y, z);
      pass.end();
      this.timed.push({ label: kernelLabel(kernel), index: timestampIndex });
    } else {
      this.pass ??= this.beginPass();
      this.encodeInto(this.pass, pipeline, bindGroup, uniformOffset, x, y, z);
    }
    this.dispatches++;
    gpuWorkTotals.dispatches++;
  }

  /** The step's shared compute pass, bracketed by timestamps when gpuWorkOptions.measure is on. */
  private beginPass(): GPUComputePassEncoder {
    const runner = this.runner;
    const index =
      gpuWorkOptions.measure && !runner.profiling ? runner.reserveTimestamps(this.timed.length) : -1;
    if (index < 0) return this.encoder.beginComputePass({ label: this.label });
    this.timed.push({ label: null, index });
    return this.encoder.beginComputePass({
      label: this.label,
      timestampWrites: {
        querySet: runner.querySet!,
        beginningOfPassWriteIndex: index,
        endOfPassWriteIndex: index + 1,
      },
    });
  }

  private encodeInto(
    pass: GPUComputePassEncoder,
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    uniformOffset: number,
    x: number,
    y: number,
    z: number,
  ): void {
    pass.setPipeline(pipeline);
    if (uniformOffset >= 0) pass.setBindGroup(0, bindGroup, [uniformOffset]);
    else pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }

  /** Copies `elements` elements between tensors (offsets in elements); ends the current compute pass. */
  copy(src: GpuTensor, dst: GpuTensor, elements = src.elements, srcElement = 0, dstElement = 0): void {
    this.assertOpen();
    if (srcElement + elements > src.elements || dstElement + elements > dst.elements) {
      throw new RangeError(`copy ${src.label} -> ${dst.label}: ${elements} elements out of range`);
    }
    this.endPass();
    this.encoder.copyBufferToBuffer(
      src.buffer,
      src.offset + srcElement * 4,
      dst.buffer,
      dst.offset + dstElement * 4,
      elements * 4,
    );
  }

  /** Zero-fills a tensor (clearBuffer) within this step's order. */
  clear(t: GpuTensor): void {
    this.assertOpen();
    this.endPass();
    this.encoder.clearBuffer(t.buffer, t.offset, roundUp(t.elements * 4, 4));
  }

  /** Schedules a readback of `t` (as recorded at this point of the step); resolves after submit. */
  read(t: GpuTensor, elements = t.elements): Promise<Float32Array> {
    return this.readRaw(t, elements).then((b) => new Float32Array(b));
  }

  readInt32(t: GpuTensor, elements = t.elements): Promise<Int32Array> {
    return this.readRaw(t, elements).then((b) => new Int32Array(b));
  }

  readUint32(t: GpuTensor, elements = t.elements): Promise<Uint32Array> {
    return this.readRaw(t, elements).then((b) => new Uint32Array(b));
  }

  private readRaw(t: GpuTensor, elements: number): Promise<ArrayBuffer> {
    this.assertOpen();
    if (elements > t.elements) throw new RangeError(`read ${t.label}: ${elements} > ${t.elements} elements`);
    this.endPass();
    const bytes = Math.max(4, elements * 4);
    const staging = this.runner.takeStaging(bytes);
    if (elements > 0) this.encoder.copyBufferToBuffer(t.buffer, t.offset, staging, 0, elements * 4);
    return new Promise<ArrayBuffer>((resolve, reject) => {
      this.reads.push({ source: t, staging, bytes: elements * 4, resolve, reject });
    });
  }

  /** Submits everything recorded; resolves once all scheduled readbacks (and timings) are available. */
  async submit(): Promise<void> {
    const t0 = gpuWorkOptions.measure ? performance.now() : 0;
    this.assertOpen();
    this.endPass();
    this.closed = true;
    const runner = this.runner;
    let timingStaging: GPUBuffer | null = null;
    const timed = this.timed;
    if (timed.length && runner.querySet) {
      const count = timed.length * 2;
      const resolveBuf = runner.timestampResolveBuffer(count);
      this.encoder.resolveQuerySet(runner.querySet, 0, count, resolveBuf, 0);
      timingStaging = runner.takeStaging(count * 8);
      this.encoder.copyBufferToBuffer(resolveBuf, 0, timingStaging, 0, count * 8);
    }
    if (this.uniformSlots > 0) runner.uploadUniforms(this.uniformSlots);
    runner.device.queue.submit([this.encoder.finish()]);
    gpuWorkTotals.submissions++;
    runner.endStep(this);
    if (gpuWorkOptions.measure) gpuWorkTotals.hostMs += performance.now() - t0;
    const maps = this.reads.map(async (r) => {
      try {
        await r.staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, r.bytes));
        const data = r.staging.getMappedRange(0, Math.max(4, r.bytes)).slice(0, r.bytes);
        r.staging.unmap();
        runner.returnStaging(r.staging);
        r.resolve(data);
      } catch (err) {
        r.reject(err);
        throw err;
      }
    });
    if (timingStaging) {
      const staging = timingStaging;
      maps.push(
        (async () => {
          await staging.mapAsync(GPUMapMode.READ, 0, timed.length * 16);
          const ticks = new BigInt64Array(staging.getMappedRange(0, timed.length * 16).slice(0));
          staging.unmap();
          runner.returnStaging(staging);
          timed.forEach((t, i) => {
            const ms = Math.max(0, Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6);
            gpuWorkTotals.gpuMs += ms;
            if (t.label !== null) runner.recordTiming(t.label, ms);
          });
        })(),
      );
    }
    await Promise.all(maps);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`step '${this.label}' was already submitted`);
  }
}

/**
 * Owns the device-side caches: pipelines by kernel key, bind-group layouts by access signature, bind
 * groups by (layout, tensors), the uniform arena, staging buffers for readback, and timestamp queries.
 */
export class KernelRunner {
  readonly device: GPUDevice;
  readonly limits: GpuContext['limits'];
  readonly hasTimestampQuery: boolean;
  readonly adapterLabel: string;
  /** Bytes between the uniform blocks of consecutive dispatches (minUniformBufferOffsetAlignment). */
  readonly uniformStride: number;
  readonly storageAlignment: number;
  /** Named buffers for activations and other per-step tensors. */
  readonly pool: BufferPool;
  /** When true (and timestamp-query exists), every dispatch is timed; see timings(). */
  profiling = false;
  querySet: GPUQuerySet | null = null;

  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();
  private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** Dispatches whose uniforms fit in one arena chunk. */
  readonly uniformSlotsPerChunk = 256;
  private readonly uniformChunks: { buffer: GPUBuffer; host: ArrayBuffer; view: DataView }[] = [];
  private readonly staging = new Map<number, GPUBuffer[]>();
  private queryCapacity = 0;
  private resolveBuffer: GPUBuffer | null = null;
  private readonly timingTotals = new Map<string, KernelTiming>();
  private openStep: Step | null = null;

  constructor(
    ctx: Pick<GpuContext, 'device' | 'limits' | 'hasTimestampQuery'> & { info?: { label: string } },
  ) {
    this.device = ctx.device;
    this.limits = ctx.limits;
    this.hasTimestampQuery = ctx.hasTimestampQuery;
    this.adapterLabel = ctx.info?.label ?? 'unknown adapter';
    this.uniformStride = Math.max(256, ctx.device.limits.minUniformBufferOffsetAlignment);
    this.storageAlignment = ctx.device.limits.minStorageBufferOffsetAlignment;
    this.pool = new BufferPool(this);
  }

  // ---- buffers -------------------------------------------------------------------------------------

  /**
   * A storage buffer of `elements` 4-byte elements, checked against the adapter's limits so a model or
   * batch that cannot fit fails here with the numbers, not later with an opaque validation error.
   */
  createBuffer(label: string, elements: number, extraUsage = 0): GPUBuffer {
    const bytes = roundUp(Math.max(1, elements) * 4, 16);
    this.assertFits(label, bytes);
    const buffer = this.device.createBuffer({
      label,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    });
    this.bufferIds.set(buffer, this.nextBufferId++);
    return buffer;
  }

  /** Throws GpuCapacityError when one binding of `bytes` bytes exceeds what this adapter allows. */
  assertFits(label: string, bytes: number): void {
    const maxBinding = this.limits.maxStorageBufferBindingSize;
    const maxBuffer = this.limits.maxBufferSize;
    const limit = Math.min(maxBinding, maxBuffer);
    if (bytes > limit) {
      throw new GpuCapacityError(
        `'${label}' needs ${(bytes / 2 ** 20).toFixed(1)} MiB in one buffer, but this adapter allows ` +
          `${(limit / 2 ** 20).toFixed(1)} MiB per storage binding (maxStorageBufferBindingSize ` +
          `${maxBinding}, maxBufferSize ${maxBuffer}). Use a smaller model, batch or sequence length.`,
      );
    }
  }

  /** A standalone tensor (not pooled): parameters, optimizer state, long-lived inputs. */
  tensor(label: string, elements: number): GpuTensor {
    return { buffer: this.createBuffer(label, elements), offset: 0, elements, label };
  }

  /** A sub-range of a tensor; its byte offset must meet minStorageBufferOffsetAlignment to be bound. */
  view(
    t: GpuTensor,
    elementOffset: number,
    elements: number,
    label = `${t.label}[${elementOffset}]`,
  ): GpuTensor {
    if (elementOffset < 0 || elementOffset + elements > t.elements) {
      throw new RangeError(`view ${label}: [${elementOffset}, +${elements}) outside ${t.elements} elements`);
    }
    return { buffer: t.buffer, offset: t.offset + elementOffset * 4, elements, label };
  }

  destroyBuffer(buffer: GPUBuffer): void {
    const id = this.bufferIds.get(buffer);
    if (id !== undefined) {
      // Drop cached bind groups that reference the buffer so they cannot keep it alive or be reused.
      const needle = `#${id}@`;
      for (const key of [...this.bindGroups.keys()]) if (key.includes(needle)) this.bindGroups.delete(key);
    }
    buffer.destroy();
  }

  /** Uploads host data into a tensor (queue-ordered: lands before any later submit). */
  write(t: GpuTensor, data: Float32Array | Int32Array | Uint32Array, elementOffset = 0): void {
    if (elementOffset + data.length > t.elements) {
      throw new RangeError(`write ${t.label}: ${data.length} elements at ${elementOffset} > ${t.elements}`);
    }
    const t0 = gpuWorkOptions.measure ? performance.now() : 0;
    this.device.queue.writeBuffer(
      t.buffer,
      t.offset + elementOffset * 4,
      data.buffer,
      data.byteOffset,
      data.byteLength,
    );
    if (gpuWorkOptions.measure) gpuWorkTotals.hostMs += performance.now() - t0;
  }

  /** Reads a tensor back in its own one-copy step. */
  async read(t: GpuTensor, elements = t.elements): Promise<Float32Array> {
    const step = this.begin(`read ${t.label}`);
    const out = step.read(t, elements);
    await step.submit();
    return out;
  }

  async readInt32(t: GpuTensor, elements = t.elements): Promise<Int32Array> {
    const step = this.begin(`read ${t.label}`);
    const out = step.readInt32(t, elements);
    await step.submit();
    return out;
  }

  // ---- steps ---------------------------------------------------------------------------------------

  /** Starts recording a batch of work. Only one step is open at a time (uniforms share one arena). */
  begin(label = 'step'): Step {
    if (this.openStep) {
      throw new Error(`step '${label}' begun while step '${this.openStep.label}' is still being recorded`);
    }
    const step = new Step(this, label);
    this.openStep = step;
    return step;
  }

  /** One dispatch in its own step (tests, one-off ops). */
  async run<B extends string, U extends string>(
    kernel: Kernel<B, U>,
    tensors: Readonly<Record<B, GpuTensor>>,
    uniforms?: Readonly<Record<U, number>>,
  ): Promise<void> {
    const step = this.begin(kernelLabel(kernel as Kernel));
    step.dispatch(kernel, tensors, uniforms);
    await step.submit();
  }

  /** @internal called by Step.submit */
  endStep(step: Step): void {
    if (this.openStep === step) this.openStep = null;
  }

  // ---- pipelines and bind groups -------------------------------------------------------------------

  private layoutFor(kernel: Kernel) {
    const key = layoutKey(kernel);
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = kernel.bindings.map((b, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
      }));
      if (kernel.uniforms?.length) {
        entries.push({
          binding: kernel.bindings.length,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true },
        });
      }
      const group = this.device.createBindGroupLayout({ label: key, entries });
      layout = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private pipelineDescriptor(kernel: Kernel): GPUComputePipelineDescriptor {
    const module = this.device.createShaderModule({
      label: kernel.shader,
      code: shaderSource(kernel.shader),
    });
    return {
      label: kernelLabel(kernel),
      layout: this.layoutFor(kernel).pipeline,
      compute: { module, entryPoint: kernel.entryPoint, constants: { ...(kernel.constants ?? {}) } },
    };
  }

  /** The cached pipeline of a kernel, compiled synchronously on first use. */
  pipeline(kernel: Kernel): GPUComputePipeline {
    const key = kernelKey(kernel);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.pipelineDescriptor(kernel));
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * Compiles kernels ahead of use with createComputePipelineAsync, which reports WGSL errors as a
   * rejected promise naming the kernel (the synchronous path only reports them as device errors).
   */
  async prepare(kernels: readonly Kernel[]): Promise<void> {
    await Promise.all(
      kernels.map((kernel) => {
        const key = kernelKey(kernel);
        if (this.pipelines.has(key)) return undefined;
        let p = this.pending.get(key);
        if (!p) {
          p = this.device.createComputePipelineAsync(this.pipelineDescriptor(kernel)).then(
            (pipeline) => {
              this.pipelines.set(key, pipeline);
              this.pending.delete(key);
              return pipeline;
            },
            (err: unknown) => {
              this.pending.delete(key);
              throw new Error(
                `kernel ${kernelLabel(kernel)} failed to compile: ${err instanceof Error ? err.message : String(err)}`,
              );
            },
          );
          this.pending.set(key, p);
        }
        return p;
      }),
    );
  }

  /** @internal cached bind group for these tensors (keyed by buffer identity, offsets and sizes). */
  bindGroup(kernel: Kernel, tensors: Record<string, GpuTensor>, uniformChunk = 0): GPUBindGroup {
    // Called on every dispatch, so the hit path only builds the key: layout, then per binding
    // `#bufferId@offset:elements` (destroyBuffer finds a buffer's groups by that `#id@`), then the chunk.
    let key = layoutKey(kernel);
    for (const b of kernel.bindings) {
      const t = tensors[b.name];
      if (!t) throw new Error(`${kernelLabel(kernel)}: no tensor bound to '${b.name}'`);
      if (t.offset % this.storageAlignment !== 0) {
        throw new Error(
          `${kernelLabel(kernel)}: '${b.name}' (${t.label}) starts at byte ${t.offset}, not a multiple of ` +
            `minStorageBufferOffsetAlignment ${this.storageAlignment}`,
        );
      }
      key += `|#${this.bufferIds.get(t.buffer) ?? 0}@${t.offset}:${t.bindElements ?? t.elements}`;
    }
    if (kernel.uniforms?.length) key += `|u${uniformChunk}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      // The key fixes which buffer sits in which binding, so a combination checked once stays valid.
      const writable = new Set<GPUBuffer>();
      const seen = new Map<GPUBuffer, number>();
      for (const b of kernel.bindings) {
        const buffer = tensors[b.name].buffer;
        if (b.access === 'read_write') writable.add(buffer);
        seen.set(buffer, (seen.get(buffer) ?? 0) + 1);
      }
      for (const buf of writable) {
        if ((seen.get(buf) ?? 0) > 1) {
          throw new Error(
            `${kernelLabel(kernel)}: buffer '${buf.label}' is bound read_write and also in another binding; ` +
              'WebGPU forbids that within one dispatch. Use separate buffers.',
          );
        }
      }
      const layout = this.layoutFor(kernel);
      const entries: GPUBindGroupEntry[] = kernel.bindings.map((b, binding) => {
        const t = tensors[b.name];
        return {
          binding,
          resource: {
            buffer: t.buffer,
            offset: t.offset,
            size: roundUp(Math.max(1, t.bindElements ?? t.elements) * 4, 4),
          },
        };
      });
      if (kernel.uniforms?.length) {
        entries.push({
          binding: kernel.bindings.length,
          resource: {
            buffer: this.uniformChunkAt(uniformChunk).buffer,
            offset: 0,
            size: roundUp(kernel.uniforms.length * 4, 16),
          },
        });
      }
      group = this.device.createBindGroup({ label: kernelLabel(kernel), layout: layout.group, entries });
      this.bindGroups.set(key, group);
    }
    return group;
  }

  // ---- uniforms ------------------------------------------------------------------------------------

  private uniformChunkAt(index: number) {
    while (this.uniformChunks.length <= index) {
      const bytes = this.uniformStride * this.uniformSlotsPerChunk;
      const host = new ArrayBuffer(bytes);
      const buffer = this.device.createBuffer({
        label: `uniform arena ${this.uniformChunks.length}`,
        size: bytes,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.uniformChunks.push({ buffer, host, view: new DataView(host) });
    }
    return this.uniformChunks[index];
  }

  /** @internal writes one dispatch's uniform values into the host copy of an arena chunk. */
  packUniforms(kernel: Kernel, values: Record<string, number>, chunk: number, offset: number): void {
    const view = this.uniformChunkAt(chunk).view;
    const fields = kernel.uniforms ?? [];
    if (fields.length * 4 > this.uniformStride) {
      throw new Error(
        `${kernelLabel(kernel)}: ${fields.length} uniform fields exceed ${this.uniformStride} bytes`,
      );
    }
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = values[f.name];
      if (v === undefined || Number.isNaN(v)) {
        throw new Error(`${kernelLabel(kernel)}: uniform '${f.name}' is ${String(v)}`);
      }
      const at = offset + i * 4;
      if (f.type === 'f32') view.setFloat32(at, v, true);
      else if (f.type === 'u32') view.setUint32(at, v >>> 0, true);
      else view.setInt32(at, v | 0, true);
    }
  }

  /** @internal uploads the used slots of the uniform arena before a submit. */
  uploadUniforms(slots: number): void {
    for (let c = 0; c * this.uniformSlotsPerChunk < slots; c++) {
      const used = Math.min(this.uniformSlotsPerChunk, slots - c * this.uniformSlotsPerChunk);
      const chunk = this.uniformChunkAt(c);
      this.device.queue.writeBuffer(chunk.buffer, 0, chunk.host, 0, used * this.uniformStride);
    }
  }

  // ---- staging and timestamps ----------------------------------------------------------------------

  /** @internal a MAP_READ buffer of at least `bytes`, reused across reads of the same size class. */
  takeStaging(bytes: number): GPUBuffer {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, bytes)));
    const free = this.staging.get(size);
    const buf = free?.pop();
    if (buf) return buf;
    return this.device.createBuffer({
      label: `staging ${size}`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** @internal */
  returnStaging(buf: GPUBuffer): void {
    const list = this.staging.get(buf.size) ?? [];
    list.push(buf);
    this.staging.set(buf.size, list);
  }

  /** @internal first query index of the `n`-th timed dispatch or pass of a step, or -1 when not timing. */
  reserveTimestamps(n: number): number {
    if (!this.hasTimestampQuery) return -1;
    // One fixed query set, made on first use: growing it would destroy a set the open step already
    // recorded into. Dispatches or passes beyond its capacity (2048 per step) simply go untimed.
    if (!this.querySet) {
      this.queryCapacity = 4096;
      this.querySet = this.device.createQuerySet({ type: 'timestamp', count: this.queryCapacity });
    }
    return (n + 1) * 2 <= this.queryCapacity ? n * 2 : -1;
  }

  /** @internal */
  timestampResolveBuffer(count: number): GPUBuffer {
    const bytes = roundUp(count * 8, 256);
    if (!this.resolveBuffer || this.resolveBuffer.size < bytes) {
      this.resolveBuffer?.destroy();
      this.resolveBuffer = this.device.createBuffer({
        label: 'timestamps',
        size: Math.max(bytes, this.queryCapacity * 8),
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    }
    return this.resolveBuffer;
  }

  /** @internal */
  recordTiming(label: string, ms: number): void {
    const t = this.timingTotals.get(label) ?? { label, count: 0, ms: 0 };
    t.count++;
    t.ms += Math.max(0, ms);
    this.timingTotals.set(label, t);
  }

  /** GPU time per kernel label since the last reset, slowest first (empty without timestamp-query). */
  timings(reset = false): KernelTiming[] {
    const out = [...this.timingTotals.values()].sort((a, b) => b.ms - a.ms);
    if (reset) this.timingTotals.clear();
    return out;
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.pool.destroy();
    for (const c of this.uniformChunks) c.buffer.destroy();
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.bindGroups.clear();
  }
}
