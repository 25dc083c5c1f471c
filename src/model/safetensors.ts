// The safetensors file format (https://github.com/huggingface/safetensors), read and written from bytes
// so it works in the browser and in Node. Layout: an 8-byte little-endian u64 header length N, N bytes
// of UTF-8 JSON header (name -> {dtype, shape, data_offsets}, plus an optional "__metadata__" map of
// string -> string), then the data buffer. Offsets are relative to the start of the data buffer and
// must tile it exactly: sorted, contiguous, no holes, no overlaps, nothing left over. We validate
// everything the reference implementation validates, so a file we accept is one PyTorch accepts too.

/** Every dtype the safetensors spec names, with its size in bits (sub-byte float formats included). */
const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

/** Dtypes the lab can turn into float32 weights. */
export const FLOAT_DTYPES_READABLE: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length otherwise allocates). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** One tensor of a parsed file; `bytes` is a view into the file's data buffer (no copy). */
export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) relative to the start of the data buffer, as written in the header. */
  dataOffsets: [number, number];
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in header order. */
  tensors: Map<string, SafetensorsTensor>;
  /** The "__metadata__" map, or null when the file has none. */
  metadata: Record<string, string> | null;
  /** Byte offset of the data buffer inside the file (8 + header length). */
  dataStart: number;
}

/** A tensor to write: float32 values in row-major order. */
export interface Float32TensorInput {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

function isKnownDtype(dtype: string): dtype is SafetensorsDtype {
  return Object.hasOwn(DTYPE_BITS, dtype);
}

function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Names of the top-level object's keys, in order, duplicates included. JSON.parse silently keeps the
 * last of two equal keys, but the safetensors spec forbids duplicates, so we scan for them ourselves.
 * Only called on text JSON.parse has already accepted, so the scanner can trust the grammar.
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < json.length) {
    const ch = json[i];
    if (ch === '"') {
      const start = i;
      i++;
      while (json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
      i++;
      if (depth === 1) {
        let j = i;
        while (j < json.length && /\s/.test(json[j])) j++;
        if (json[j] === ':') keys.push(JSON.parse(json.slice(start, i)) as string);
      }
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    i++;
  }
  return keys;
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      `header does not start with '{' (starts with ${JSON.stringify(text.slice(0, 16))}); not a safetensors file?`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError('header JSON is not an object');
  }
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw new SafetensorsError(`duplicate tensor name "${key}" in header`);
    seen.add(key);
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError('"__metadata__" must be an object of string values');
  }
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new SafetensorsError(`"__metadata__"."${key}" must be a string (got ${JSON.stringify(entry)})`);
    }
    metadata[key] = entry;
  }
  return metadata;
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseTensorInfo(name: string, value: unknown): TensorInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(`tensor "${name}": header entry must be an object`);
  }
  const info = value as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') throw new SafetensorsError(`tensor "${name}": missing "dtype" string`);
  if (!isKnownDtype(dtype)) throw new SafetensorsError(`tensor "${name}": unknown dtype "${dtype}"`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `tensor "${name}": "shape" must be an array of non-negative integers (got ${JSON.stringify(shape)})`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new SafetensorsError(
      `tensor "${name}": "data_offsets" must be [begin, end] non-negative integers (got ${JSON.stringify(offsets)})`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new SafetensorsError(`tensor "${name}": data_offsets [${begin}, ${end}] end before begin`);
  }
  const bits = elementCount(shape) * DTYPE_BITS[dtype];
  const expectedBytes = Math.ceil(bits / 8);
  if (end - begin !== expectedBytes) {
    throw new SafetensorsError(
      `tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes but ` +
        `shape ${describeShape(shape)} of ${dtype} needs ${expectedBytes}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/**
 * Parses and fully validates a safetensors file. Tensor bytes are views into `file`; nothing is
 * converted. Throws SafetensorsError naming the first problem found.
 */
export function parseSafetensors(file: Uint8Array): SafetensorsFile {
  if (file.byteLength < 8) {
    throw new SafetensorsError(
      `truncated file: ${file.byteLength} bytes, fewer than the 8-byte header length prefix`,
    );
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  // Compared as a bigint: a corrupt u64 can exceed 2^53, and the message should show it exactly.
  const headerLengthU64 = view.getBigUint64(0, true);
  if (headerLengthU64 > BigInt(file.byteLength - 8)) {
    throw new SafetensorsError(
      `header length ${headerLengthU64} is larger than the file (${file.byteLength} bytes, ` +
        `${file.byteLength - 8} after the length prefix): truncated or not a safetensors file`,
    );
  }
  const headerLength = Number(headerLengthU64);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (headerLength < 2) throw new SafetensorsError(`header length ${headerLength} is too small for JSON`);
  const dataStart = 8 + headerLength;
  const header = parseHeaderJson(file.subarray(8, dataStart));

  let metadata: Record<string, string> | null = null;
  const infos: TensorInfo[] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === METADATA_KEY) metadata = parseMetadata(value);
    else infos.push(parseTensorInfo(key, value));
  }

  // The data buffer must be tiled exactly, in offset order (as the reference implementation checks).
  const dataLength = file.byteLength - dataStart;
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  let previous: TensorInfo | null = null;
  for (const info of byOffset) {
    if (info.begin < expectedBegin) {
      throw new SafetensorsError(
        `tensor "${info.name}" data_offsets [${info.begin}, ${info.end}] overlap tensor ` +
          `"${previous?.name}" [${previous?.begin}, ${previous?.end}]`,
      );
    }
    if (info.begin > expectedBegin) {
      throw new SafetensorsError(
        `tensor "${info.name}" data_offsets begin at ${info.begin} but the previous tensor ends at ` +
          `${expectedBegin}: a hole of ${info.begin - expectedBegin} bytes in the data buffer`,
      );
    }
    if (info.end > dataLength) {
      throw new SafetensorsError(
        `tensor "${info.name}" data_offsets [${info.begin}, ${info.end}] are out of range: the data buffer ` +
          `has ${dataLength} bytes (file truncated?)`,
      );
    }
    expectedBegin = info.end;
    previous = info;
  }
  if (expectedBegin !== dataLength) {
    throw new SafetensorsError(
      `data buffer has ${dataLength} bytes but the tensors cover ${expectedBegin}: ` +
        `${dataLength - expectedBegin} trailing bytes belong to no tensor`,
    );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const info of infos) {
    tensors.set(info.name, {
      name: info.name,
      dtype: info.dtype,
      shape: info.shape,
      dataOffsets: [info.begin, info.end],
      bytes: file.subarray(dataStart + info.begin, dataStart + info.end),
    });
  }
  return { tensors, metadata, dataStart };
}

/** IEEE binary16 bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** The tensor's values as a new Float32Array; F16 and BF16 widen exactly, F64 rounds to nearest. */
export function tensorToFloat32(tensor: SafetensorsTensor): Float32Array {
  const count = elementCount(tensor.shape);
  const out = new Float32Array(count);
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
  switch (tensor.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      // bfloat16 is the top half of a float32, so widening is a shift.
      const widened = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) widened[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new SafetensorsError(
        `tensor "${tensor.name}" has dtype ${tensor.dtype}; only ${FLOAT_DTYPES_READABLE.join(', ')} ` +
          `can be read as float weights`,
      );
  }
}

/**
 * Serialises float32 tensors as the reference implementation does: tensors sorted by name with
 * contiguous data in that order, "__metadata__" first, header padded with spaces to a multiple of 8
 * bytes so the data buffer is 8-byte aligned. Metadata is string -> string (transformers expects
 * {"format": "pt"} from PyTorch checkpoints; the checkpoint writer passes it).
 */
export function serializeSafetensors(
  tensors: readonly Float32TensorInput[],
  metadata?: Record<string, string>,
): Uint8Array {
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (tensor.name === '' || tensor.name === METADATA_KEY) {
      throw new SafetensorsError(`invalid tensor name ${JSON.stringify(tensor.name)}`);
    }
    if (names.has(tensor.name)) throw new SafetensorsError(`duplicate tensor name "${tensor.name}"`);
    names.add(tensor.name);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor "${tensor.name}": invalid shape ${describeShape(tensor.shape)}`);
    }
    if (elementCount(tensor.shape) !== tensor.data.length) {
      throw new SafetensorsError(
        `tensor "${tensor.name}": shape ${describeShape(tensor.shape)} has ${elementCount(tensor.shape)} ` +
          `elements but the data has ${tensor.data.length}`,
      );
    }
  }
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new SafetensorsError(`metadata "${key}" must be a string`);
    }
  }

  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const tensor of sorted) {
    const byteLength = 4 * tensor.data.length;
    header[tensor.name] = {
      dtype: 'F32',
      shape: [...tensor.shape],
      data_offsets: [offset, offset + byteLength],
    };
    offset += byteLength;
  }
  const headerJson = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (headerJson.byteLength % 8)) % 8;
  const headerLength = headerJson.byteLength + padding;

  const file = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(file.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  file.set(headerJson, 8);
  file.fill(0x20, 8 + headerJson.byteLength, 8 + headerLength);
  let position = 8 + headerLength;
  for (const tensor of sorted) {
    for (let i = 0; i < tensor.data.length; i++, position += 4)
      view.setFloat32(position, tensor.data[i], true);
  }
  return file;
}
