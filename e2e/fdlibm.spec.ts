// e2e: the engine's fdlibm functions (src/util/fdlibm.ts) give the same bits in Chromium as in Node, on
// 200,000 arguments each (1.2 million results). Chromium's own Math.exp/log/pow/sin/cos round differently from Node 20's (measured:
// docs/measurements/cpu-2026-12-06-night/engine-math.log), so this is what lets a link computed in the page
// and by the CLI agree bit for bit. The module is compiled from its TypeScript source and loaded into a
// blank page; the unit tier proves the Node side equals Node 20's Math. fdSin and fdCos reduce arguments
// up to 2^20 pi/2 themselves and hand larger ones to Math (the lab never asks for them), so only those
// are compared.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { transformWithOxc } from 'vite';
import { fdCos, fdExp, fdLog, fdLog1p, fdPow, fdSin } from '../src/util/fdlibm';

const NAMES = ['fdExp', 'fdLog', 'fdLog1p', 'fdPow', 'fdSin', 'fdCos'] as const;
/** The largest argument fdSin and fdCos reduce without Math (high word 0x413921fb: about 1,647,099). */
const TRIG_LIMIT = 2 ** 20 * (Math.PI / 2);
const FUNCTIONS = { fdExp, fdLog, fdLog1p, fdPow, fdSin, fdCos };

/** xorshift-style bits, so the test does not depend on the module it checks (util/random uses fdlibm). */
function argumentsFor(count: number): { xs: Float64Array; ys: Float64Array } {
  let s = 0x9e3779b9;
  const u32 = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const uniform = () => u32() / 4294967296;
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const words = new Uint32Array(xs.buffer);
  for (let i = 0; i < count; i++) {
    switch (i % 4) {
      case 0: // every magnitude, both signs
        xs[i] = 10 ** (uniform() * 40 - 20) * (uniform() < 0.5 ? -1 : 1);
        break;
      case 1: // the range the engine uses most
        xs[i] = uniform() * 16 - 8;
        break;
      case 2: // raw bit patterns
        words[2 * i] = u32();
        words[2 * i + 1] = u32();
        break;
      default: // AdamW's betas
        xs[i] = [0.9, 0.95, 0.98, 0.99, 0.999][i % 5];
    }
    ys[i] = i % 4 === 3 ? 1 + (i % 10_000) : uniform() * 40 - 20;
  }
  return { xs, ys };
}

const toBase64 = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fromBase64 = (s: string) => new Float64Array(Uint8Array.from(Buffer.from(s, 'base64')).buffer);

test('fdlibm exp, log, log1p, pow, sin and cos give the same bits in Chromium as in Node', async ({
  page,
}) => {
  const source = readFileSync(new URL('../src/util/fdlibm.ts', import.meta.url), 'utf8');
  const { code } = await transformWithOxc(source, 'fdlibm.ts');
  await page.setContent('<!doctype html><title>fdlibm</title>');
  await page.addScriptTag({
    type: 'module',
    content: `${code}\nwindow.fdlibm = { ${NAMES.join(', ')} };`,
  });
  await page.waitForFunction(() => 'fdlibm' in window);

  const { xs, ys } = argumentsFor(200_000);
  for (const name of NAMES) {
    const inPage: string = await page.evaluate(
      ([fn, xs64, ys64]) => {
        const decode = (s: string) =>
          new Float64Array(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer);
        const x = decode(xs64);
        const y = decode(ys64);
        // biome-ignore lint/suspicious/noExplicitAny: the module was put on window by the script tag above
        const f = (window as any).fdlibm[fn] as (a: number, b: number) => number;
        const out = Float64Array.from(x, (v, i) => f(v, y[i]));
        let binary = '';
        const bytes = new Uint8Array(out.buffer);
        for (let i = 0; i < bytes.length; i += 0x8000)
          binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(binary);
      },
      [name, toBase64(xs), toBase64(ys)] as const,
    );
    const page64 = fromBase64(inPage);
    const f = FUNCTIONS[name] as (a: number, b: number) => number;
    const differing: string[] = [];
    let compared = 0;
    for (let i = 0; i < xs.length && differing.length < 5; i++) {
      if ((name === 'fdSin' || name === 'fdCos') && !(Math.abs(xs[i]) < TRIG_LIMIT)) continue;
      compared++;
      const here = f(xs[i], ys[i]);
      const there = page64[i];
      if (!Object.is(here, there) && !(Number.isNaN(here) && Number.isNaN(there)))
        differing.push(
          `${name}(${xs[i]}${name === 'fdPow' ? `, ${ys[i]}` : ''}): Node ${here}, Chromium ${there}`,
        );
    }
    expect(differing, name).toEqual([]);
    expect(compared, name).toBeGreaterThan(100_000);
  }
});
