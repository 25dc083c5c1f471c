// Where Chromium's Math and Node's differ on the arguments the lab gives them: AdamW's beta ** step, the
// RoPE frequencies and tables, the cosine learning-rate schedule. Computes each list in Node and in
// Debian's Chromium (headless, through Playwright) and counts the results that differ in float64 and,
// where the engine rounds them to float32, after that rounding.
// Run from the repository root: node docs/measurements/cpu-2026-12-06-night/engine-math.mjs
import { chromium } from 'playwright';

const probe = () => {
  const parts = { pow: [], ropeFreq: [], ropeTable: [], cosineLr: [] };
  for (const beta of [0.9, 0.95, 0.98, 0.99, 0.999, 0.9999])
    for (let t = 1; t <= 20000; t++) parts.pow.push(beta ** t);
  for (const theta of [10000, 500000, 1000000]) {
    for (const D of [8, 16, 32, 64, 128]) {
      for (let j = 0; j < D / 2; j++) {
        const p = theta ** Math.fround((2 * j) / D);
        parts.ropeFreq.push(p);
        const invFreq = Math.fround(1 / Math.fround(p));
        for (let pos = 0; pos < 4096; pos++) {
          const a = Math.fround(pos * invFreq);
          parts.ropeTable.push(Math.cos(a), Math.sin(a));
        }
      }
    }
  }
  for (let total = 1; total <= 1000; total++)
    for (let s = 0; s <= total; s++) parts.cosineLr.push(Math.cos((Math.PI * s) / total));
  return parts;
};

const node = probe();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
const chrome = await page.evaluate(`(${probe.toString()})()`);
const version = browser.version();
await browser.close();
console.log(`Node ${process.versions.node} (V8 ${process.versions.v8}) vs Chromium ${version}`);
for (const part of Object.keys(node)) {
  const a = node[part];
  const b = chrome[part];
  let f64 = 0;
  let f32 = 0;
  const examples = [];
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    f64++;
    if (Math.fround(a[i]) !== Math.fround(b[i])) f32++;
    if (examples.length < 2) examples.push(`${a[i]} vs ${b[i]}`);
  }
  console.log(
    `${part}: ${a.length} values, ${f64} differ in float64, ${f32} after rounding to float32 (e.g. ${examples.join('; ')})`,
  );
}
