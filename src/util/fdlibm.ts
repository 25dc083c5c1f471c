// exp, log and log1p as fdlibm computes them (e_exp.c, e_log.c, s_log1p.c), in plain float64 JavaScript,
// so the CPU engine's results do not depend on the JavaScript engine that runs it. Why: Math.exp and
// Math.log are not the same function everywhere. Measured on 2026-12-06 over 200,000 arguments each,
// Chromium 156 disagreed with Node 20 (whose V8 uses fdlibm, as Node 22 and 24 do for these three) in the
// last bit of 6.5% of exps, 4.5% of logs and 0.05% of log1ps. A run computed in the page then differed
// from the same link run by `npm run lab`, and neither could replay the other's study records exactly.
// These functions return Node 20's bits in any engine: they port V8's src/base/ieee754.cc (fdlibm via
// FreeBSD's msun, with V8's changes such as exp(1) = E exactly), same operations in the same order. The
// SIMD exp of wasmExact.ts is the same algorithm.
//
// The words of a double are read through a shared Float64Array/Int32Array pair (little-endian, as every
// platform that runs the lab is).

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);
const HI = 1;
const LO = 0;

/** The high 32 bits of x, as a signed int. */
function highWord(x: number): number {
  f64[0] = x;
  return i32[HI];
}

/** The low 32 bits of x, as a signed int (only compared with 0). */
function lowWord(x: number): number {
  f64[0] = x;
  return i32[LO];
}

/** x with its high word replaced. */
function withHighWord(x: number, high: number): number {
  f64[0] = x;
  i32[HI] = high;
  return f64[0];
}

/** The double whose high word is `high` and low word 0. */
function fromHighWord(high: number): number {
  i32[HI] = high;
  i32[LO] = 0;
  return f64[0];
}

/** The double with these 64 bits. */
export const bits = (hex: bigint) => new Float64Array(new BigInt64Array([hex]).buffer)[0];

// e_exp.c constants (their bit patterns, as fdlibm lists them); wasmExact.ts's SIMD exp uses them too.
export const EXP_CONSTANTS = {
  LN2_HI: bits(0x3fe62e42fee00000n),
  LN2_LO: bits(0x3dea39ef35793c76n),
  INV_LN2: bits(0x3ff71547652b82fen),
  P1: bits(0x3fc555555555553en),
  P2: bits(0xbf66c16c16bebd93n),
  P3: bits(0x3f11566aaf25de2cn),
  P4: bits(0xbebbbd41c5d26bf1n),
  P5: bits(0x3e66376972bea4d0n),
};
const { LN2_HI, LN2_LO, INV_LN2, P1, P2, P3, P4, P5 } = EXP_CONSTANTS;
const O_THRESHOLD = bits(0x40862e42fefa39efn); // 709.78...
const U_THRESHOLD = bits(0xc0874910d52d3051n); // -745.13...
const E = bits(0x4005bf0a8b145769n);
const TWO1023 = 2 ** 1023;
const TWOM1000 = 2 ** -1000;
const TWO54 = 2 ** 54;
// (fdlibm writes 0.33333333333333333 and 0.66666666666666666 below; they parse to the same doubles.)

/** e^x, fdlibm's e_exp.c as V8 has it (Math.exp in Node 20-24). */
export function fdExp(x: number): number {
  let hx = highWord(x);
  const xsb = hx >>> 31; // sign bit
  hx &= 0x7fffffff; // high word of |x|
  // Non-finite, overflowing and underflowing arguments.
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | lowWord(x)) !== 0) return x + x; // NaN
      return xsb === 0 ? x : 0; // exp(+-inf) = inf, 0
    }
    if (x > O_THRESHOLD) return Number.POSITIVE_INFINITY;
    if (x < U_THRESHOLD) return 0;
  }
  // Argument reduction: x = k ln2 + r, |r| <= ln2 / 2, r = hi - lo.
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (x === 1) return E; // V8's special case (exp(1) is E exactly), kept for its bits
      hi = xsb === 0 ? x - LN2_HI : x + LN2_HI;
      lo = xsb === 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = Math.trunc(INV_LN2 * x + (xsb === 0 ? 0.5 : -0.5));
      hi = x - k * LN2_HI; // exact
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1 + x; // |x| < 2^-28
  }
  const t = x * x;
  const twopk = fromHighWord((0x3ff00000 + ((k >= -1021 ? k : k + 1000) << 20)) | 0);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2.0) - x);
  const y = 1 - (lo - (x * c) / (2.0 - c) - hi);
  if (k >= -1021) return k === 1024 ? y * 2.0 * TWO1023 : y * twopk;
  return y * twopk * TWOM1000;
}

// e_log.c / s_log1p.c constants.
const LG1 = bits(0x3fe5555555555593n);
const LG2 = bits(0x3fd999999997fa04n);
const LG3 = bits(0x3fd2492494229359n);
const LG4 = bits(0x3fcc71c51d8e78afn);
const LG5 = bits(0x3fc7466496cb03den);
const LG6 = bits(0x3fc39a09d078c69fn);
const LG7 = bits(0x3fc2f112df3e5244n);

/** Natural logarithm, fdlibm's e_log.c (V8's Math.log in Node 20-24). */
export function fdLog(x: number): number {
  let hx = highWord(x);
  const lx = lowWord(x);
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative or subnormal.
    if (((hx & 0x7fffffff) | lx) === 0) return Number.NEGATIVE_INFINITY;
    if (hx < 0) return Number.NaN;
    k -= 54;
    x *= TWO54; // scale a subnormal up
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHighWord(x, hx | (i ^ 0x3ff00000)); // normalise x or x/2
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2^-20 <= f < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    if (k === 0) return f - R;
    return k * LN2_HI - (R - k * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) return f - (hfsq - s * (hfsq + R));
    return k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
  }
  if (k === 0) return f - s * (f - R);
  return k * LN2_HI - (s * (f - R) - k * LN2_LO - f);
}

/** log(1 + x), fdlibm's s_log1p.c (V8's Math.log1p in Node 20-24). */
export function fdLog1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    // 1 + x < sqrt(2)
    if (ax >= 0x3ff00000) return x === -1 ? Number.NEGATIVE_INFINITY : Number.NaN; // x <= -1
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (TWO54 + x > 0 && ax < 0x3c900000) return x; // |x| < 2^-54
      return x - x * x * 0.5;
    }
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // sqrt(2)/2 <= 1 + x < sqrt(2)
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x;
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0); // the correction term
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHighWord(u, hu | 0x3ff00000); // normalise u
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3fe00000); // normalise u/2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      if (k === 0) return 0;
      c += k * LN2_LO;
      return k * LN2_HI + c;
    }
    const R = hfsq * (1.0 - 0.6666666666666666 * f);
    if (k === 0) return f - R;
    return k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}
