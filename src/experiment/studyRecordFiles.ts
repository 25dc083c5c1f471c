// The committed study records (docs/study*/runs/<arm>/seed-<n>.json, written by scripts/study.ts), read
// in Node: by the study's report and by the tests that check every number a text quotes from them. Also
// how those texts write a number, so a quote and its check agree. Never imported by the page.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distributionOf } from './paired';
import { type Outcomes, outcomesOf, type RunRecord } from './studyRecords';

/** Every arm's records under `runsDir` (one folder per arm), each arm's sorted by seed. */
export function readStudyRecords(runsDir: string): Map<string, RunRecord[]> {
  const byArm = new Map<string, RunRecord[]>();
  if (!existsSync(runsDir)) return byArm;
  for (const arm of readdirSync(runsDir)) byArm.set(arm, readArmRecords(runsDir, arm));
  return byArm;
}

export function readArmRecords(runsDir: string, arm: string): RunRecord[] {
  const dir = join(runsDir, arm);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
    .sort((a, b) => a.seed - b.seed);
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The committed records of one arm of Study 1 or 2. */
export function committedRecords(study: 1 | 2, arm: string): RunRecord[] {
  return readArmRecords(join(REPO, 'docs', study === 1 ? 'study' : 'study2', 'runs'), arm);
}

/** seed -> one outcome of each committed run of an arm. */
export function committedOutcomes(
  study: 1 | 2,
  arm: string,
  f: (o: Outcomes) => number,
): Map<number, number> {
  return new Map(committedRecords(study, arm).map((r) => [r.seed, f(outcomesOf(r))]));
}

/** Clip events at the style decision and style tokens, summed over every step of every seed of an arm. */
export function committedStyleClips(study: 1 | 2, arm: string): { events: number; tokens: number } {
  let events = 0;
  let tokens = 0;
  for (const r of committedRecords(study, arm))
    for (const m of r.steps) {
      events += (m.styleClipHigh ?? 0) + (m.styleClipLow ?? 0);
      tokens += m.styleTokens ?? 0;
    }
  return { events, tokens };
}

/** A share as the texts write it, in points with the typographic minus: −1.3, +6.9. */
export const quotePoints = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(100 * x).toFixed(1)}`;

/** Mean ± standard error in points: −64.8 ± 1.2. */
export function quoteMeanSe(values: Iterable<number>): string {
  const d = distributionOf([...values]);
  return `${quotePoints(d.mean)} ± ${(100 * d.se).toFixed(1)}`;
}
