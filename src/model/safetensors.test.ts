// Tests of the safetensors reader/writer: exact byte layout against hand-built files (the layout the
// reference implementation writes), F16/BF16 widening, and every malformed-file error.
import { describe, expect, it } from 'vitest';
import {
  halfToFloat,
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  tensorToFloat32,
} from './safetensors';

/** Builds a file from a raw header string and data bytes, padding the header like the reference. */
function buildFile(headerJson: string, data: Uint8Array, pad = true): Uint8Array {
  const header = new TextEncoder().encode(headerJson);
  const padding = pad ? (8 - (header.byteLength % 8)) % 8 : 0;
  const file = new Uint8Array(8 + header.byteLength + padding + data.byteLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(header.byteLength + padding), true);
  file.set(header, 8);
  file.fill(0x20, 8 + header.byteLength, 8 + header.byteLength + padding);
  file.set(data, 8 + header.byteLength + padding);
  return file;
}

function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function expectError(file: Uint8Array, pattern: RegExp) {
  expect(() => parseSafetensors(file)).toThrow(SafetensorsError);
  expect(() => parseSafetensors(file)).toThrow(pattern);
}

describe('serializeSafetensors', () => {
  it('writes the exact byte layout: u64 length, metadata first, name-sorted tensors, space padding', () => {
    const bytes = serializeSafetensors(
      [
        { name: 'b', shape: [2], data: new Float32Array([3, 4]) },
        { name: 'a', shape: [1, 1], data: new Float32Array([1.5]) },
      ],
      { format: 'pt' },
    );
    const expectedHeader =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const padded = expectedHeader + ' '.repeat((8 - (expectedHeader.length % 8)) % 8);
    const view = new DataView(bytes.buffer);
    expect(Number(view.getBigUint64(0, true))).toBe(padded.length);
    expect(padded.length % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
    const data = bytes.subarray(8 + padded.length);
    expect([...data]).toEqual([...float32Bytes([1.5, 3, 4])]);
  });

  it('round-trips values bit-exactly, including -0, subnormals and extremes', () => {
    const values = new Float32Array([0, -0, 1e-45, -3.4028234663852886e38, Math.PI, 1 / 3, -7.25]);
    const file = parseSafetensors(serializeSafetensors([{ name: 'x', shape: [7], data: values }]));
    expect(file.metadata).toBeNull();
    const back = tensorToFloat32(file.tensors.get('x')!);
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(values.buffer));
  });

  it('round-trips scalars and zero-sized tensors', () => {
    const file = parseSafetensors(
      serializeSafetensors([
        { name: 'scalar', shape: [], data: new Float32Array([2]) },
        { name: 'empty', shape: [0, 3], data: new Float32Array(0) },
      ]),
    );
    expect(file.tensors.get('scalar')!.shape).toEqual([]);
    expect([...tensorToFloat32(file.tensors.get('scalar')!)]).toEqual([2]);
    expect(file.tensors.get('empty')!.dataOffsets).toEqual([0, 0]);
  });

  it('rejects shape/data disagreement, duplicate and reserved names, non-string metadata', () => {
    expect(() => serializeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      /tensor "w": shape \[2, 2\] has 4 elements but the data has 3/,
    );
    const t = { name: 'w', shape: [1], data: new Float32Array(1) };
    expect(() => serializeSafetensors([t, t])).toThrow(/duplicate tensor name "w"/);
    expect(() => serializeSafetensors([{ ...t, name: '__metadata__' }])).toThrow(/invalid tensor name/);
    expect(() => serializeSafetensors([t], { n: 3 as unknown as string })).toThrow(
      /metadata "n" must be a string/,
    );
  });
});

describe('parseSafetensors', () => {
  it('reads a hand-built file without header padding and with the data at an odd offset', () => {
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const file = buildFile(header, float32Bytes([-1, 0.5]), false);
    const parsed = parseSafetensors(file);
    expect(parsed.dataStart).toBe(8 + header.length);
    expect([...tensorToFloat32(parsed.tensors.get('w')!)]).toEqual([-1, 0.5]);
  });

  it('reads F16 and BF16 and widens them to float32', () => {
    // F16 bits: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +inf
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]);
    // BF16 bits: 1, 3.140625, -0
    const bf16 = new Uint16Array([0x3f80, 0x4049, 0x8000]);
    const data = new Uint8Array(16);
    data.set(new Uint8Array(f16.buffer), 0);
    data.set(new Uint8Array(bf16.buffer), 10);
    const header =
      '{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},' +
      '"b":{"dtype":"BF16","shape":[3],"data_offsets":[10,16]}}';
    const parsed = parseSafetensors(buildFile(header, data));
    expect([...tensorToFloat32(parsed.tensors.get('h')!)]).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    const b = tensorToFloat32(parsed.tensors.get('b')!);
    expect(b[0]).toBe(1);
    expect(b[1]).toBe(3.140625);
    expect(Object.is(b[2], -0)).toBe(true);
  });

  it('decodes half-precision NaN and negative subnormals', () => {
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x8200)).toBe(-(2 ** -15));
  });

  it('returns metadata and refuses non-string metadata values', () => {
    const ok = buildFile('{"__metadata__":{"format":"pt","note":"x"}}', new Uint8Array(0));
    expect(parseSafetensors(ok).metadata).toEqual({ format: 'pt', note: 'x' });
    expectError(
      buildFile('{"__metadata__":{"step":3}}', new Uint8Array(0)),
      /"__metadata__"."step" must be a string/,
    );
  });

  it('names non-float dtypes when asked to convert them', () => {
    const parsed = parseSafetensors(
      buildFile('{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)),
    );
    expect(() => tensorToFloat32(parsed.tensors.get('ids')!)).toThrow(
      /tensor "ids" has dtype I64; only F32, F16, BF16, F64 can be read/,
    );
  });

  describe('malformed files', () => {
    const good = serializeSafetensors([
      { name: 'a', shape: [2], data: new Float32Array([1, 2]) },
      { name: 'b', shape: [3], data: new Float32Array([3, 4, 5]) },
    ]);

    it('truncated below the length prefix', () => {
      expectError(new Uint8Array(5), /truncated file: 5 bytes, fewer than the 8-byte header length prefix/);
    });

    it('header length larger than the file', () => {
      const file = good.slice(0, 40);
      expectError(file, /header length \d+ is larger than the file \(40 bytes/);
      const huge = new Uint8Array(16);
      new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
      expectError(huge, /header length 1152921504606846976 is larger than the file/);
    });

    it('truncated data (a download cut short)', () => {
      expectError(
        good.slice(0, good.byteLength - 4),
        /tensor "b" data_offsets \[8, 20\] are out of range: the data buffer has 16 bytes/,
      );
    });

    it('trailing bytes after the last tensor', () => {
      const file = new Uint8Array(good.byteLength + 4);
      file.set(good);
      expectError(file, /4 trailing bytes belong to no tensor/);
    });

    it('header not JSON, not an object, not starting with {', () => {
      expectError(buildFile('{"a": [1, 2', new Uint8Array(0)), /header is not valid JSON/);
      expectError(buildFile('[1, 2, 3]', new Uint8Array(0)), /header does not start with '\{'/);
      expectError(
        buildFile('{}', new Uint8Array(0), false).slice(0, 8),
        /header length 2 is larger than the file/,
      );
      const badUtf8 = buildFile('{"a":1}', new Uint8Array(0));
      badUtf8[10] = 0xff;
      expectError(badUtf8, /header is not valid UTF-8/);
    });

    it('data_offsets overlapping', () => {
      const header =
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
      expectError(
        buildFile(header, new Uint8Array(12)),
        /tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
      );
    });

    it('data_offsets leaving a hole', () => {
      const header =
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
      expectError(
        buildFile(header, new Uint8Array(12)),
        /tensor "b" data_offsets begin at 8 but the previous tensor ends at 4/,
      );
    });

    it('data_offsets not matching shape x dtype size', () => {
      const header = '{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}';
      expectError(
        buildFile(header, new Uint8Array(8)),
        /tensor "a": data_offsets \[0, 8\] span 8 bytes but shape \[3\] of F16 needs 6/,
      );
    });

    it('data_offsets malformed or reversed', () => {
      const reversed = '{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}';
      expectError(
        buildFile(reversed, new Uint8Array(4)),
        /tensor "a": data_offsets \[4, 0\] end before begin/,
      );
      const notPair = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}';
      expectError(buildFile(notPair, new Uint8Array(4)), /tensor "a": "data_offsets" must be \[begin, end\]/);
    });

    it('unknown dtype, missing dtype, bad shape', () => {
      expectError(
        buildFile('{"a":{"dtype":"F24","shape":[1],"data_offsets":[0,3]}}', new Uint8Array(3)),
        /tensor "a": unknown dtype "F24"/,
      );
      expectError(
        buildFile('{"a":{"shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
        /tensor "a": missing "dtype" string/,
      );
      expectError(
        buildFile('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)),
        /tensor "a": "shape" must be an array of non-negative integers/,
      );
    });

    it('duplicate tensor names (which JSON.parse would silently merge)', () => {
      const header =
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
      expectError(buildFile(header, new Uint8Array(8)), /duplicate tensor name "a" in header/);
      // A key repeated only at a nested level is not a duplicate tensor.
      const nested =
        '{"__metadata__":{"x":"\\"a\\"","a":"1"},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}';
      expect(() => parseSafetensors(buildFile(nested, new Uint8Array(0)))).not.toThrow();
    });
  });
});
