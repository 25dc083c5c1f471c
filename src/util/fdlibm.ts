// exp, log, log1p, pow, sin and cos as fdlibm computes them (e_exp.c, e_log.c, s_log1p.c, e_pow.c,
// s_sin.c/s_cos.c with k_sin.c, k_cos.c and e_rem_pio2.c's small and medium cases), in plain float64
// JavaScript, so the CPU engine's results do not depend on the JavaScript engine that runs it. Why: Math's
// functions are not the same everywhere (newer V8 takes several from LLVM's libc, per its
// src/base/ieee754.cc). Measured on 2026-12-06, Chromium 156 disagreed with Node 20 in the last bit of 6.5% of exps, 4.5% of logs, 0.05% of log1ps, and
// of some of AdamW's beta ** step, RoPE's frequencies and cos/sin and the cosine schedule's phases
// (docs/measurements/cpu-2026-12-06-night/engine-math.log). A run computed in the page then could differ
// from the same link run by `npm run lab`, and neither could replay the other's study records exactly.
// These functions return Node 20's bits in any engine: they port V8 11.3's src/base/ieee754.cc (fdlibm
// via FreeBSD's msun, with V8's changes such as exp(1) = E exactly), same operations in the same order.
// The SIMD exp of wasmExact.ts is the same algorithm.
//
// The words of a double are read through a shared Float64Array/Int32Array pair (little-endian, as every
// platform that runs the lab is).
//
// fdlibm's notice, which its licence asks every copy and modification to keep:
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunSoft, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================

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

/** x with its low word replaced (the high word kept). */
function withLowWord(x: number, low: number): number {
  f64[0] = x;
  i32[LO] = low;
  return f64[0];
}

// e_pow.c constants (bit patterns as fdlibm lists them).
const DP_H1 = bits(0x3fe2b80340000000n); // log2(1.5), high part
const DP_L1 = bits(0x3e4cfdeb43cfd006n); // log2(1.5), tail
const TWO53 = 2 ** 53;
const HUGE = 1.0e300;
const TINY = 1.0e-300;
const PL1 = bits(0x3fe3333333333303n);
const PL2 = bits(0x3fdb6db6db6fabffn);
const PL3 = bits(0x3fd55555518f264dn);
const PL4 = bits(0x3fd17460a91d4101n);
const PL5 = bits(0x3fcd864a93c9db65n);
const PL6 = bits(0x3fca7e284a454eefn);
const POW_LN2 = bits(0x3fe62e42fefa39efn);
const LG2_H = bits(0x3fe62e4300000000n);
const LG2_L = bits(0xbe205c610ca86c39n);
const OVT = 8.008566259537294e-17; // -(1024 - log2(overflow + 0.5 ulp)); fdlibm writes 8.0085662595372944372e-17
const CP = bits(0x3feec709dc3a03fdn); // 2 / (3 ln 2)
const CP_H = bits(0x3feec709e0000000n);
const CP_L = bits(0xbe3e2fe0145b01f5n);
const IVLN2 = bits(0x3ff71547652b82fen); // 1 / ln 2
const IVLN2_H = bits(0x3ff7154760000000n);
const IVLN2_L = bits(0x3e54ae0bf85ddf44n);

/**
 * x ** y, fdlibm's e_pow.c as V8 has it (legacy::pow: Math.pow and `**` in Node 20, whose results the
 * study records hold; Chromium 156 rounds some of them differently, 0.9 ** 4 among them).
 */
export function fdPow(x: number, y: number): number {
  const hx = highWord(x);
  const lx = lowWord(x) >>> 0;
  const hy = highWord(y);
  const ly = lowWord(y) >>> 0;
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  if ((iy | ly) === 0) return 1; // x ** ±0 = 1, even for NaN x
  if (
    ix > 0x7ff00000 ||
    (ix === 0x7ff00000 && lx !== 0) ||
    iy > 0x7ff00000 ||
    (iy === 0x7ff00000 && ly !== 0)
  ) {
    return x + y; // NaN
  }

  // For x < 0: is y an integer, odd (1) or even (2)? 0 = not an integer.
  let yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000)
      yisint = 2; // |y| >= 2^53: an even integer
    else if (iy >= 0x3ff00000) {
      const k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        const j = ly >>> (52 - k);
        if (j << (52 - k) === (ly | 0)) yisint = 2 - (j & 1);
      } else if (ly === 0) {
        const j = iy >> (20 - k);
        if (j << (20 - k) === iy) yisint = 2 - (j & 1);
      }
    }
  }

  if (ly === 0) {
    if (iy === 0x7ff00000) {
      // y = ±Infinity
      if (((ix - 0x3ff00000) | lx) === 0) return y - y; // (±1) ** ±Infinity = NaN
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0;
      return hy < 0 ? -y : 0;
    }
    if (iy === 0x3ff00000) return hy < 0 ? 1 / x : x; // y = ±1
    if (hy === 0x40000000) return x * x; // y = 2
    if (hy === 0x3fe00000 && hx >= 0) return Math.sqrt(x); // y = 0.5, x >= +0
  }

  let ax = Math.abs(x);
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    // x = ±0, ±Infinity, ±1
    let z = ax;
    if (hy < 0) z = 1 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0)
        z = Number.NaN; // (-1) ** non-integer
      else if (yisint === 1) z = -z;
    }
    return z;
  }

  let n = (hx >> 31) + 1; // 0 for negative x
  if ((n | yisint) === 0) return Number.NaN; // (x < 0) ** non-integer
  const s = (n | (yisint - 1)) === 0 ? -1 : 1; // the sign of (negative x) ** odd integer

  let t1: number;
  let t2: number;
  if (iy > 0x41e00000) {
    // |y| > 2^31
    if (iy > 0x43f00000) {
      // |y| > 2^64: overflows or underflows
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    if (ix < 0x3fefffff) return hy < 0 ? s * HUGE * HUGE : s * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? s * HUGE * HUGE : s * TINY * TINY;
    // |1 - x| <= 2^-20: log(x) by x - x^2/2 + x^3/3 - x^4/4.
    const t = ax - 1;
    const w = t * t * (0.5 - t * (0.3333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = withLowWord(u + v, 0);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= TWO53;
      n -= 53;
      ix = highWord(ax);
    }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    ix = j | 0x3ff00000; // normalise
    let k = 0; // |x| < sqrt(3/2): log around 1
    if (j > 0x3988e) {
      if (j < 0xbb67a) {
        k = 1; // |x| < sqrt(3): log around 1.5
      } else {
        n += 1; // log around 2 = 1 + log around 1
        ix -= 0x00100000;
      }
    }
    ax = withHighWord(ax, ix);
    const bp = k === 0 ? 1.0 : 1.5;
    const dpH = k === 0 ? 0 : DP_H1;
    const dpL = k === 0 ? 0 : DP_L1;
    // ss = s_h + s_l = (x - 1) / (x + 1) or (x - 1.5) / (x + 1.5)
    let u = ax - bp;
    let v = 1 / (ax + bp);
    const ss = u * v;
    const sH = withLowWord(ss, 0);
    let tH = fromHighWord((((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18)) | 0);
    let tL = ax - (tH - bp);
    const sL = v * (u - sH * tH - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (PL1 + s2 * (PL2 + s2 * (PL3 + s2 * (PL4 + s2 * (PL5 + s2 * PL6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = withLowWord(3.0 + s2 + r, 0);
    tL = r - (tH - 3.0 - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    const pH = withLowWord(u + v, 0);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + dpL;
    // log2(ax) = n + dp_h + z_h + z_l
    const t = n;
    t1 = withLowWord(zH + zL + dpH + t, 0);
    t2 = zL - (t1 - t - dpH - zH);
  }

  // (y1 + y2) * (t1 + t2)
  const y1 = withLowWord(y, 0);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  let j = highWord(z);
  const i = lowWord(z);
  if (j >= 0x40900000) {
    // z >= 1024
    if (((j - 0x40900000) | i) !== 0) return s * HUGE * HUGE;
    if (pL + OVT > z - pH) return s * HUGE * HUGE;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z <= -1075
    // (C computes j - 0xc090cc00 in uint32: `|` takes the difference modulo 2^32, so 0 only when equal.)
    if (((j - 0xc090cc00) | i) !== 0) return s * TINY * TINY;
    if (pL <= z - pH) return s * TINY * TINY;
  }
  // 2 ** (pH + pL)
  const iz = j & 0x7fffffff;
  let k = (iz >> 20) - 0x3ff;
  n = 0;
  if (iz > 0x3fe00000) {
    // |z| > 0.5: n = [z + 0.5]
    n = (j + (0x00100000 >> (k + 1))) | 0;
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = fromHighWord(n & ~(0x000fffff >> k));
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = withLowWord(pL + pH, 0);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * POW_LN2 + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const tt1 = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const r = (z * tt1) / (tt1 - 2 - (w + z * w));
  z = 1 - (r - z);
  j = (highWord(z) + (n << 20)) | 0;
  if (j >> 20 <= 0)
    z = scalbn(z, n); // a subnormal result
  else z = withHighWord(z, j);
  return s * z;
}

/** x * 2^n for the subnormal results of fdPow, with fdlibm's s_scalbn.c rounding (one rounding). */
function scalbn(x: number, n: number): number {
  const hx = highWord(x);
  const k = ((hx & 0x7ff00000) >> 20) + n; // x is normal and positive here (about 1)
  if (k > -54) return withHighWord(x, (hx & 0x800fffff) | ((k + 54) << 20)) * 2 ** -54;
  return TINY * TINY * Math.sign(x); // underflow
}

// k_sin.c / k_cos.c / e_rem_pio2.c constants.
const S1 = bits(0xbfc5555555555549n);
const S2 = bits(0x3f8111111110f8a6n);
const S3 = bits(0xbf2a01a019c161d5n);
const S4 = bits(0x3ec71de357b1fe7dn);
const S5 = bits(0xbe5ae5e68a2b9cebn);
const S6 = bits(0x3de5d93a5acfd57cn);
const C1 = bits(0x3fa555555555554cn);
const C2 = bits(0xbf56c16c16c15177n);
const C3 = bits(0x3efa01a019cb1590n);
const C4 = bits(0xbe927e4f809c52adn);
const C5 = bits(0x3e21ee9ebdb4b1c4n);
const C6 = bits(0xbda8fae9be8838d4n);
const INV_PIO2 = bits(0x3fe45f306dc9c883n);
const PIO2_1 = bits(0x3ff921fb54400000n); // the first 33 bits of pi/2
const PIO2_1T = bits(0x3dd0b4611a626331n); // pi/2 - PIO2_1
const PIO2_2 = bits(0x3dd0b4611a600000n); // the next 33 bits
const PIO2_2T = bits(0x3ba3198a2e037073n);
const PIO2_3 = bits(0x3ba3198a2e000000n); // and the next 33
const PIO2_3T = bits(0x397b839a252049c1n);
/** High words of n * pi/2 for n = 1..32: arguments whose reduction cancels may need more bits of pi/2. */
const NPIO2_HW = [
  0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb, 0x402c463a,
  0x402f6a7a, 0x4031475c, 0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb, 0x403ab41b, 0x403c463a,
  0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c, 0x4042106c, 0x4042d97c, 0x4043a28c, 0x40446b9c, 0x404534ac,
  0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
];

/** sin(x + y) for |x| <= pi/4, y the tail of x (tail = false: y is 0). */
function kernelSin(x: number, y: number, tail: boolean): number {
  if ((highWord(x) & 0x7fffffff) < 0x3e400000 && Math.trunc(x) === 0) return x; // |x| < 2^-27
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (!tail) return x + v * (S1 + z * r);
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

/** cos(x + y) for |x| <= pi/4, y the tail of x. */
function kernelCos(x: number, y: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x3e400000 && Math.trunc(x) === 0) return 1; // |x| < 2^-27
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y)); // |x| < 0.3
  const qx = ix > 0x3fe90000 ? 0.28125 : fromHighWord(ix - 0x00200000); // x/4, or 0.28125 past 0.78125
  const hz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (hz - (z * r - x * y));
}

/** The reduced argument of fdSin/fdCos: x = n * pi/2 + (y0 + y1), |y0 + y1| <= pi/4. */
const reduced = { y0: 0, y1: 0 };

/**
 * n, with x - n * pi/2 in `reduced`, for |x| <= 2^20 * pi/2, about 1,647,099 (e_rem_pio2.c's small and medium cases). Larger
 * arguments return null: fdlibm reduces them with hundreds of bits of 2/pi (k_rem_pio2.c), not ported,
 * since the lab never asks (RoPE angles stay below its longest context, schedules below pi).
 */
function remPio2(x: number): number | null {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) {
    // |x| < 3pi/4: n = ±1
    const sign = hx > 0 ? 1 : -1;
    let z = x - sign * PIO2_1;
    if (ix !== 0x3ff921fb) {
      reduced.y0 = z - sign * PIO2_1T;
      reduced.y1 = z - reduced.y0 - sign * PIO2_1T;
    } else {
      // x is near pi/2: 33 more bits of it
      z -= sign * PIO2_2;
      reduced.y0 = z - sign * PIO2_2T;
      reduced.y1 = z - reduced.y0 - sign * PIO2_2T;
    }
    return sign;
  }
  if (ix > 0x413921fb) return null;
  const t = Math.abs(x);
  const n = Math.trunc(t * INV_PIO2 + 0.5);
  const fn = n;
  let r = t - fn * PIO2_1;
  let w = fn * PIO2_1T; // the first round, good to 85 bits
  let y0: number;
  if (n < 32 && ix !== NPIO2_HW[n - 1]) y0 = r - w;
  else {
    const j = ix >> 20;
    y0 = r - w;
    if (j - ((highWord(y0) >> 20) & 0x7ff) > 16) {
      // cancellation: a second round, good to 118 bits
      let u = r;
      w = fn * PIO2_2;
      r = u - w;
      w = fn * PIO2_2T - (u - r - w);
      y0 = r - w;
      if (j - ((highWord(y0) >> 20) & 0x7ff) > 49) {
        // and a third, 151 bits
        u = r;
        w = fn * PIO2_3;
        r = u - w;
        w = fn * PIO2_3T - (u - r - w);
        y0 = r - w;
      }
    }
  }
  const y1 = r - y0 - w;
  if (hx < 0) {
    reduced.y0 = -y0;
    reduced.y1 = -y1;
    return -n;
  }
  reduced.y0 = y0;
  reduced.y1 = y1;
  return n;
}

/**
 * sin x, fdlibm's s_sin.c as Node 20's V8 has it (Chromium 156 gives
 * different last bits). Arguments past 2^20 * pi/2 fall back to Math.sin.
 */
export function fdSin(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, false); // |x| <= pi/4
  if (ix >= 0x7ff00000) return x - x; // NaN, ±Infinity
  const n = remPio2(x);
  if (n === null) return Math.sin(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelSin(y0, y1, true);
    case 1:
      return kernelCos(y0, y1);
    case 2:
      return -kernelSin(y0, y1, true);
    default:
      return -kernelCos(y0, y1);
  }
}

/** cos x, fdlibm's s_cos.c as Node 20's V8 has it; past 2^20 * pi/2, Math.cos. */
export function fdCos(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0);
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x);
  if (n === null) return Math.cos(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelCos(y0, y1);
    case 1:
      return -kernelSin(y0, y1, true);
    case 2:
      return -kernelCos(y0, y1);
    default:
      return kernelSin(y0, y1, true);
  }
}
