// A minimal protocol-buffers *writer* (no reader, no schema): just the wire types ONNX needs — varints
// (int32/int64/enum/bool), length-delimited fields (strings, bytes, nested messages, packed repeated
// scalars) and 32-bit fixed floats. We write it ourselves so exporting a model needs no protobuf
// library in the browser bundle.
//
// Wire format reference (protobuf encoding spec): a field is key = (fieldNumber << 3) | wireType,
// then the payload. Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/**
 * Collects bytes in chunks so that large tensors (weights) are appended without copying them into an
 * ever-growing buffer; `finish()` concatenates once. Nested messages are encoded by a child writer
 * whose length is known once it is done, which is how length-delimited fields are framed.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  /** Small scratch buffer for keys and varints; flushed into `chunks` when full or when bytes follow. */
  private scratch = new Uint8Array(256);
  private scratchLen = 0;
  private flushedLength = 0;

  /** Total bytes written so far. */
  get length(): number {
    return this.flushedLength + this.scratchLen;
  }

  private flushScratch(): void {
    if (this.scratchLen === 0) return;
    this.chunks.push(this.scratch.slice(0, this.scratchLen));
    this.flushedLength += this.scratchLen;
    this.scratchLen = 0;
  }

  private pushByte(byte: number): void {
    if (this.scratchLen === this.scratch.length) this.flushScratch();
    this.scratch[this.scratchLen++] = byte;
  }

  private pushBytes(bytes: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(bytes);
    this.flushedLength += bytes.length;
  }

  /**
   * Unsigned-or-signed 64-bit varint. Negative numbers are written as their 64-bit two's complement
   * (10 bytes), which is what protobuf does for negative int32/int64 fields (ONNX uses -1 in Reshape
   * shapes and negative axes). Accepts any safe integer or a bigint.
   */
  varint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
      // Fast path: non-negative values below 2^31 fit the 32-bit bit operators.
      if (value >= 0 && value < 0x80000000) {
        let v = value;
        while (v >= 0x80) {
          this.pushByte((v & 0x7f) | 0x80);
          v >>>= 7;
        }
        this.pushByte(v);
        return this;
      }
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value >= 1n << 64n) throw new RangeError(`varint: ${value} exceeds 64 bits`);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.pushByte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.pushByte(Number(v));
    return this;
  }

  /** Field key: field number and wire type. */
  key(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > 536870911)
      throw new RangeError(`invalid field number ${field}`);
    return this.varint(field * 8 + wireType);
  }

  /** An int32/int64/enum/bool field (varint). */
  int(field: number, value: number | bigint): this {
    return this.key(field, WIRE_VARINT).varint(value);
  }

  /** A 32-bit float field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const byte of b) this.pushByte(byte);
    return this;
  }

  /** A bytes field (length-delimited). The array is referenced, not copied, until finish(). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN).varint(value.length);
    this.pushBytes(value);
    return this;
  }

  /** A string field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field: `build` writes the child's fields into a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    build(child);
    child.flushScratch();
    this.key(field, WIRE_LEN).varint(child.length);
    this.flushScratch();
    for (const chunk of child.chunks) this.chunks.push(chunk);
    this.flushedLength += child.length;
    return this;
  }

  /** A packed repeated varint field (proto3 default for repeated int32/int64). Empty writes nothing. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    const body = new ProtoWriter();
    for (let i = 0; i < values.length; i++) body.varint(values[i]);
    return this.bytes(field, body.finish());
  }

  /** A packed repeated float field. Empty writes nothing. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const body = new Uint8Array(values.length * 4);
    const view = new DataView(body.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, body);
  }

  /** The encoded message as one contiguous array. */
  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.flushedLength);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
