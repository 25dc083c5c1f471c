// Do two busy threads on this 2-core machine slow each other down, and for which kind of work? Times three
// loops alone and two copies at once (separate processes, each timing only its own loop), alternating:
//   scalar  - integer arithmetic in registers (no memory traffic, no vector units)
//   simd    - the engine's wasm SIMD matmul on 32 x 32 x 64 operands that fit in L1
//   stream  - sums and copies of a 256 MB array (memory bandwidth)
//   sumN    - repeated sums over an N MB array (a working set that fits L2, L3, or L3 only when alone;
//             this machine: 2 MB L2 per core, one 32 MB L3)
// Run: npx tsx docs/measurements/cpu-2026-12-06-night/contention.ts
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { matmulNTWasm } from '../../../src/engine/cpu/wasmMatmul';

function loop(kind: string): number {
  const t0 = performance.now();
  if (kind === 'scalar') {
    let x = 1;
    for (let i = 0; i < 400_000_000; i++) x = (x ^ (x << 13) ^ (x >>> 7) ^ (x << 17)) | 0;
    if (x === 42) console.log('');
  } else if (kind === 'simd') {
    const M = 32;
    const N = 32;
    const K = 64;
    const a = new Float32Array(M * K).map((_, i) => (i % 7) - 3);
    const b = new Float32Array(N * K).map((_, i) => (i % 5) - 2);
    const out = new Float32Array(M * N);
    for (let i = 0; i < 60_000; i++) matmulNTWasm(out, a, b, null, M, N, K, false);
  } else if (kind.startsWith('sum')) {
    const n = (Number(kind.slice(3)) * 1024 * 1024) / 4;
    const arr = new Float32Array(n).fill(1);
    let s = 0;
    const passes = Math.round(32768 / Number(kind.slice(3)));
    for (let r = 0; r < passes; r++) for (let i = 0; i < n; i += 16) s += arr[i];
    if (s === 42) console.log('');
  } else {
    const n = 64 * 1024 * 1024;
    const src = new Float32Array(n).fill(1);
    const dst = new Float32Array(n);
    let s = 0;
    for (let r = 0; r < 6; r++) {
      dst.set(src);
      for (let i = 0; i < n; i += 16) s += dst[i];
    }
    if (s === 42) console.log('');
  }
  return performance.now() - t0;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === 'child') {
  loop(process.argv[3]); // warm-up (JIT, wasm compile)
  console.log(loop(process.argv[3]).toFixed(0));
} else {
  const run = (kind: string, copies: number) =>
    Promise.all(
      Array.from(
        { length: copies },
        () =>
          new Promise<number>((resolve) => {
            const p = spawn('npx', ['tsx', self, 'child', kind]);
            let out = '';
            p.stdout.on('data', (d) => (out += d));
            p.on('close', () => resolve(Number(out.trim())));
          }),
      ),
    );
  console.log(execFileSync('nproc').toString().trim(), 'cores');
  for (const kind of process.argv[2]
    ? process.argv.slice(2)
    : ['scalar', 'simd', 'stream', 'sum1', 'sum8', 'sum16', 'sum24']) {
    const alone: number[] = [];
    const pair: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      alone.push(...(await run(kind, 1)));
      pair.push(...(await run(kind, 2)));
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
    console.log(
      `${kind.padEnd(7)} alone ${med(alone)} ms (${alone.join(', ')}), two at once ${med(pair)} ms (${pair.join(', ')}): ${(
        med(pair) / med(alone)
      ).toFixed(2)}x`,
    );
  }
}
