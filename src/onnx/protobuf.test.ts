// The protobuf writer against byte strings from the protobuf encoding guide (varints, strings, packed
// repeated fields) and against edge cases ONNX relies on (negative int64, empty packed fields).
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './protobuf';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('ProtoWriter', () => {
  it('encodes the encoding guide examples', () => {
    // message Test1 { int32 a = 1; } with a = 150
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('08 96 01');
    // message Test2 { string b = 2; } with b = "testing"
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('12 07 74 65 73 74 69 6e 67');
    // message Test3 { Test1 c = 3; } with c.a = 150
    expect(hex(new ProtoWriter().message(3, (w) => w.int(1, 150)).finish())).toBe('1a 03 08 96 01');
    // message Test4 { repeated int32 d = 4 [packed]; } with d = [3, 270, 86942]
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('22 06 03 8e 02 9e a7 05');
  });

  it('writes negative and 64-bit varints as two-complement 10-byte values', () => {
    expect(hex(new ProtoWriter().varint(-1).finish())).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(hex(new ProtoWriter().varint(-2n).finish())).toBe('fe ff ff ff ff ff ff ff ff 01');
    expect(hex(new ProtoWriter().varint(2 ** 31).finish())).toBe('80 80 80 80 08');
    expect(hex(new ProtoWriter().varint(2n ** 63n - 1n).finish())).toBe('ff ff ff ff ff ff ff ff 7f');
    expect(() => new ProtoWriter().varint(0.5)).toThrow(/safe integer/);
    expect(() => new ProtoWriter().varint(1n << 64n)).toThrow(/64 bits/);
  });

  it('writes fixed32 floats little-endian and packed floats as one length-delimited field', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('15 00 00 80 3f');
    expect(hex(new ProtoWriter().packedFloats(4, [1, -2]).finish())).toBe('22 08 00 00 80 3f 00 00 00 c0');
    expect(new ProtoWriter().packedFloats(4, []).finish().length).toBe(0);
    expect(new ProtoWriter().packedVarints(4, []).finish().length).toBe(0);
  });

  it('frames nested messages and large byte fields with correct lengths', () => {
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    const w = new ProtoWriter().message(1, (m) => {
      m.int(1, 7);
      m.bytes(2, big);
    });
    const out = w.finish();
    // key 0a, length 2 + 3 + 1000 = 1005 = varint ed 07, then 08 07, then 12 e8 07 + 1000 bytes
    expect(hex(out.subarray(0, 8))).toBe('0a ed 07 08 07 12 e8 07');
    expect(out.length).toBe(3 + 1005);
    expect(Array.from(out.subarray(8))).toEqual(Array.from(big));
    expect(w.length).toBe(out.length);
  });

  it('rejects invalid field numbers', () => {
    expect(() => new ProtoWriter().int(0, 1)).toThrow(/field number/);
  });
});
