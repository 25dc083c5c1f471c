// The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that the exporter writes, as
// plain TypeScript objects plus an encoder onto ProtoWriter. Field numbers are those of onnx.proto;
// each message's comment lists the ones used so they can be checked against the spec at a glance.
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Bytes of one element, for raw_data. */
function elementBytes(type: DataTypeId): number {
  switch (type) {
    case DataType.FLOAT:
    case DataType.INT32:
      return 4;
    case DataType.INT64:
      return 8;
    case DataType.BOOL:
      return 1;
  }
}

/** A constant tensor (initializer or Constant value); data is stored little-endian in raw_data. */
export interface TensorValue {
  name: string;
  type: DataTypeId;
  dims: number[];
  /** FLOAT: Float32Array; INT32: Int32Array; INT64: BigInt64Array; BOOL: Uint8Array of 0/1. */
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** A graph input/output declaration; a string dim is symbolic (dim_param), a number fixed (dim_value). */
export interface ValueInfo {
  name: string;
  type: DataTypeId;
  shape: (number | string)[];
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: TensorValue };

export interface NodeDef {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  initializers: TensorValue[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  docString?: string;
}

export interface ModelDef {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: GraphDef;
  /** metadata_props: free-form key/value pairs (we store the HF config.json there). */
  metadata: Record<string, string>;
}

/**
 * Raw little-endian bytes of a typed array. On little-endian hosts (every browser and Node platform we
 * target) this is a view, so multi-megabyte weights are not copied here.
 */
function rawBytes(data: TensorValue['data']): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('ONNX export needs a little-endian host (raw_data is little-endian)');
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** TensorProto: dims=1 (packed int64), data_type=2, name=8, raw_data=9. */
export function writeTensor(w: ProtoWriter, t: TensorValue): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new Error(`tensor '${t.name}': ${t.data.length} elements for dims [${t.dims.join(', ')}]`);
  }
  if (t.data.BYTES_PER_ELEMENT !== elementBytes(t.type)) {
    throw new Error(`tensor '${t.name}': array element size does not match data type ${t.type}`);
  }
  w.packedVarints(1, t.dims);
  w.int(2, t.type);
  w.string(8, t.name);
  // An empty raw_data would be omitted by a proto3 writer; ORT accepts it, and we keep it explicit.
  w.bytes(9, rawBytes(t.data));
}

/** AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20. */
function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      w.int(20, AttributeType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value);
      w.int(20, AttributeType.INT);
      break;
    case 'string':
      w.string(4, a.value);
      w.int(20, AttributeType.STRING);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      w.int(20, AttributeType.TENSOR);
      break;
    case 'floats':
      // repeated float floats = 7: proto2 schema, so unpacked is canonical; parsers accept both.
      for (const f of a.value) w.float(7, f);
      w.int(20, AttributeType.FLOATS);
      break;
    case 'ints':
      for (const i of a.value) w.int(8, i);
      w.int(20, AttributeType.INTS);
      break;
  }
}

/** NodeProto: input=1, output=2, name=3, op_type=4, attribute=5. */
function writeNode(w: ProtoWriter, n: NodeDef): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes)) {
    w.message(5, (a) => writeAttribute(a, name, value));
  }
}

/**
 * ValueInfoProto: name=1, type=2 → TypeProto: tensor_type=1 → TypeProto.Tensor: elem_type=1, shape=2
 * → TensorShapeProto: dim=1 → Dimension: dim_value=1, dim_param=2.
 */
function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

/** GraphProto: node=1, name=2, initializer=5, doc_string=10, input=11, output=12. */
function writeGraph(w: ProtoWriter, g: GraphDef): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/**
 * ModelProto: ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8
 * (OperatorSetIdProto: domain=1, version=2; the default domain is the empty string), metadata_props=14
 * (StringStringEntryProto: key=1, value=2).
 */
export function encodeModel(m: ModelDef): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (g) => writeGraph(g, m.graph));
  w.message(8, (op) => {
    op.string(1, '');
    op.int(2, m.opsetVersion);
  });
  for (const [key, value] of Object.entries(m.metadata)) {
    w.message(14, (e) => {
      e.string(1, key);
      e.string(2, value);
    });
  }
  return w.finish();
}
