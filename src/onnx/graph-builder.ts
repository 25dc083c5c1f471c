// A small builder for ONNX graphs: each op helper adds one NodeProto and returns the name of its output,
// so model code reads like the PyTorch forward it mirrors. Only standard (default-domain) ops appear;
// every helper names the opset-17 signature it relies on.
import {
  type AttributeValue,
  DataType,
  type DataTypeId,
  type GraphDef,
  type NodeDef,
  type TensorValue,
  type ValueInfo,
} from './onnx-proto';

type Attrs = Record<string, AttributeValue>;

export const int = (value: number): AttributeValue => ({ kind: 'int', value });
export const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });

export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly initializers: TensorValue[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();
  /** Prefix for auto-generated names, e.g. `/model/layers.0/self_attn` (as torch.onnx does). */
  scope = '';

  /** A fresh value name under the current scope; `hint` says what the value is. */
  fresh(hint: string): string {
    const base = `${this.scope}/${hint}`;
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Runs `body` with names prefixed by `scope`. */
  within<R>(scope: string, body: () => R): R {
    const saved = this.scope;
    this.scope = `${saved}/${scope}`;
    try {
      return body();
    } finally {
      this.scope = saved;
    }
  }

  input(name: string, type: DataTypeId, shape: (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, type, shape });
    return name;
  }

  /** Declares `value` as a graph output under `name` (an Identity renames it when needed). */
  output(value: string, name: string, type: DataTypeId, shape: (number | string)[]): void {
    if (value !== name) this.op('Identity', [value], {}, name);
    this.outputs.push({ name, type, shape });
  }

  initializer(name: string, type: DataTypeId, dims: number[], data: TensorValue['data']): string {
    if (this.used.has(name)) throw new Error(`duplicate ONNX value name '${name}'`);
    this.used.add(name);
    this.initializers.push({ name, type, dims, data });
    return name;
  }

  /** A small int64 constant (shapes, axes, indices), deduplicated by value. */
  constInt64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.initializer(
      `const_i64_${this.constCache.size}`,
      DataType.INT64,
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
    this.constCache.set(key, name);
    return name;
  }

  /** A float32 constant, deduplicated by value. */
  constFloat(values: number[], dims: number[] = []): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.initializer(
      `const_f32_${this.constCache.size}`,
      DataType.FLOAT,
      dims,
      Float32Array.from(values),
    );
    this.constCache.set(key, name);
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], attributes: Attrs = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(`${opType}_output`);
    if (outputName) this.used.add(outputName);
    this.nodes.push({ opType, name: this.fresh(opType), inputs, outputs: [out], attributes });
    return out;
  }

  // ---- op helpers (opset 17 signatures) ----
  add = (a: string, b: string) => this.op('Add', [a, b]);
  sub = (a: string, b: string) => this.op('Sub', [a, b]);
  mul = (a: string, b: string) => this.op('Mul', [a, b]);
  div = (a: string, b: string) => this.op('Div', [a, b]);
  neg = (a: string) => this.op('Neg', [a]);
  sqrt = (a: string) => this.op('Sqrt', [a]);
  sigmoid = (a: string) => this.op('Sigmoid', [a]);
  matmul = (a: string, b: string) => this.op('MatMul', [a, b]);
  /** Transpose with an explicit permutation. */
  transpose = (a: string, perm: number[]) => this.op('Transpose', [a], { perm: ints(perm) });
  /** Reshape to a constant target shape (0 copies the input dim, -1 is inferred). */
  reshape = (a: string, shape: number[]) => this.op('Reshape', [a, this.constInt64(shape)]);
  /** Unsqueeze-13+: axes as an input tensor. */
  unsqueeze = (a: string, axes: number[]) => this.op('Unsqueeze', [a, this.constInt64(axes)]);
  squeeze = (a: string, axes: number[]) => this.op('Squeeze', [a, this.constInt64(axes)]);
  /** ReduceMean-13 (opset < 18): axes is an attribute. */
  reduceMean = (a: string, axes: number[], keepdims = true) =>
    this.op('ReduceMean', [a], { axes: ints(axes), keepdims: int(keepdims ? 1 : 0) });
  softmax = (a: string, axis: number) => this.op('Softmax', [a], { axis: int(axis) });
  concat = (values: string[], axis: number) => this.op('Concat', values, { axis: int(axis) });
  gather = (data: string, indices: string, axis = 0) =>
    this.op('Gather', [data, indices], { axis: int(axis) });
  /** Slice-13: starts/ends/axes as tensors (names of int64 1-D values). */
  slice = (a: string, starts: string, ends: string, axes: string) =>
    this.op('Slice', [a, starts, ends, axes]);
  /** Shape-15 with start/end attributes, giving a 1-D int64 slice of the shape. */
  shape = (a: string, start?: number, end?: number) => {
    const attrs: Attrs = {};
    if (start !== undefined) attrs.start = int(start);
    if (end !== undefined) attrs.end = int(end);
    return this.op('Shape', [a], attrs);
  };
  cast = (a: string, to: DataTypeId) => this.op('Cast', [a], { to: int(to) });
  where = (cond: string, a: string, b: string) => this.op('Where', [cond, a, b]);
  expand = (a: string, shape: string) => this.op('Expand', [a, shape]);

  graph(name: string, docString?: string): GraphDef {
    return {
      name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      docString,
    };
  }
}
