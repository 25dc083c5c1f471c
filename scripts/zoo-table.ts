// Prints the zoo tables of the README and docs/minimath-and-zoo.md from the shipped cards, so every
// number there is the card's (`npx tsx scripts/zoo-table.ts [models-dir]`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILY_NAMES } from '../src/tasks/corpus';
import type { ZooCard } from '../src/tasks/zoo';

const dir = process.argv[2] ?? join('public', 'models');
const pct = (x: number | null | undefined) => (x == null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const cards = FAMILY_NAMES.map((f) => JSON.parse(readFileSync(join(dir, f, 'card.json'), 'utf8')) as ZooCard);

console.log(
  '| family | greedy code share | mean p(code) | problems with p(code) > 0.85 / < 0.3 | greedy accuracy | code / language, greedy (forced) | code / language, sampled (forced) | entropy at style / elsewhere |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const c of cards) {
  const e = c.eval;
  const d = e.styleDecision;
  const s = e.sampledForcedStyle;
  const code = c.corpus.knobs.codeShare ? Math.max(...Object.values(c.corpus.knobs.codeShare)) > 0 : true;
  console.log(
    `| \`${c.name}\` | ${pct(e.greedy.codeFrequency)} | ${pct(d?.meanPCode)} | ${pct(d?.above085)} / ${pct(d?.below03)} | ${pct(e.greedy.accuracy)} | ${code ? pct(e.greedyForcedStyle.code) : '—'} / ${pct(e.greedyForcedStyle.language)} | ${code ? pct(s?.code) : '—'} / ${pct(s?.language)} | ${d ? `${d.entropyAtStyle.toFixed(2)} / ${d.entropyElsewhere.toFixed(3)} nats` : 'n/a'} |`,
  );
}
console.log(
  '\n| family | p(code) bins: < 0.3 · 0.3-0.5 · 0.5-0.83 · > 0.83 | bands | build (command, steps, tokens, wall time) |',
);
console.log('|---|---|---|---|');
for (const c of cards) {
  const h = c.eval.styleDecision?.histogram;
  const bins = h
    ? Object.values(h)
        .map((x) => pct(x))
        .join(' · ')
    : 'n/a';
  const missed = c.targets.filter((t) => !t.met);
  const bands =
    missed.length === 0 ? `all ${c.targets.length} met` : `missed: ${missed.map((t) => t.target).join('; ')}`;
  console.log(
    `| \`${c.name}\` | ${bins} | ${bands} | \`${c.buildCommand}\`, ${(c.training.processedTokens / 1e6).toFixed(1)}M tokens, ${Math.round(c.training.wallSeconds / 60)} min |`,
  );
}
