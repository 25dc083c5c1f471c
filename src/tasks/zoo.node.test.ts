// zooCard(), the one card builder of scripts/build-zoo.ts and the UI's "Build a family": rebuilding a
// shipped card from its own fields gives that card back, key order included, so both builders keep
// writing the schema the shipped cards have. Node-only (reads a card from disk).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ZooCard, zooCard } from './zoo';

const CARD = join(__dirname, '..', '..', 'public', 'models', 'qwen-math-tiny', 'card.json');

/** Every key path of a JSON value, in order. */
function keyPaths(x: unknown, prefix = ''): string[] {
  if (x === null || typeof x !== 'object') return [];
  return Object.entries(x).flatMap(([k, v]) => [`${prefix}${k}`, ...keyPaths(v, `${prefix}${k}.`)]);
}

function rebuild(card: ZooCard, changes: { lossEma?: number | null; evalProblems?: number } = {}): ZooCard {
  const { finalLoss, wallSeconds: _wall, ...training } = card.training;
  const { set: _set, evalSeconds, ...report } = card.eval;
  return zooCard({
    name: card.name,
    like: card.like,
    description: card.description,
    buildCommand: card.buildCommand,
    seed: card.seed,
    knobs: card.corpus.knobs,
    corpusMeasured: card.corpus.measured,
    training: { ...training, lossEma: 'lossEma' in changes ? (changes.lossEma ?? null) : finalLoss },
    evalProblems: changes.evalProblems ?? report.problems,
    evalSeconds,
    report,
    check: card.check,
    targets: card.targets,
    notes: card.notes,
  });
}

describe('zooCard', () => {
  const shipped = JSON.parse(readFileSync(CARD, 'utf8')) as ZooCard;

  it('rebuilds a shipped card exactly, key order included', () => {
    const card = rebuild(shipped);
    // Wall time: every session plus the evaluation, rounded like the builders did.
    const trainSeconds = shipped.training.sessions.reduce((s, x) => s + x.seconds, 0);
    expect(card.training.wallSeconds).toBe(Math.round(trainSeconds + shipped.eval.evalSeconds));
    expect(JSON.parse(JSON.stringify(card))).toEqual(shipped);
    expect(keyPaths(card)).toEqual(keyPaths(shipped));
  });

  it('names a partial eval set and records a missing loss as NaN', () => {
    const card = rebuild(shipped, { lossEma: null, evalProblems: 40 });
    expect(card.eval.set).toBe('MiniMath-500 (first 40)');
    expect(card.training.finalLoss).toBeNaN();
  });
});
