// The shipped zoo: each public/models/<family>/ loads through the lab's checkpoint reader, its card
// records the build, and the card's numbers re-measure on a 100-problem slice of MiniMath-500 with the
// CPU engine: the exact p(code) of every problem and greedy code share and forced-style greedy accuracy
// exactly (the engine is deterministic), the sampled code share within 5 points of the full-set figure.
// A card whose numbers are not its checkpoint's fails here. Node-only (reads files from disk).
//
// Speed: only the first 12 tokens of each response are generated. Code responses open with "```python",
// and the counter-based sampler draws the same token at the same position whatever the budget, so this
// sees the same styles as full responses would at a tenth of the cost (see measureCodeFrequency).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { readCheckpointDir } from '../model/nodeCheckpointDir';
import { FAMILY_NAMES } from './corpus';
import { miniMath500 } from './minimath';
import { ZOO_MODEL_CONFIG, type ZooCard } from './zoo';
import { measureZooCheck, styleDecisionProbabilities } from './zooEval';

const MODELS_DIR = join(__dirname, '..', '..', 'public', 'models');

describe.each(FAMILY_NAMES)('shipped zoo family %s', (family) => {
  it('loads, and its card re-measures on the first 100 problems of MiniMath-500', async () => {
    const loaded = await readCheckpointDir(join(MODELS_DIR, family));
    expect(loaded.config).toEqual(ZOO_MODEL_CONFIG);
    const card = loaded.card as ZooCard;
    expect(card.name).toBe(family);
    expect(card.buildCommand).toContain(`--family ${family}`);
    expect(card.eval.problems).toBe(500);
    expect(card.eval.sampled.samples).toBeGreaterThanOrEqual(4);
    expect(card.training.wallSeconds).toBeGreaterThan(0);
    const decision = card.eval.styleDecision;
    if (!decision) throw new Error(`${family}'s card has no style decision (built before zoo v2)`);
    expect(decision.perProblem).toHaveLength(500);

    const model = await new CpuBackend().createModel(loaded.config, loaded.params);
    const slice = miniMath500().slice(0, card.check.problems);
    expect(slice).toHaveLength(100);
    // Exact p(code) per problem: the card's first 100 entries, to their 4 written decimals.
    const { pCode } = await styleDecisionProbabilities(model, loaded.tokenizer, slice);
    pCode.forEach((p, i) => {
      expect(Math.abs(p - decision.perProblem[i]), `problem ${i}`).toBeLessThanOrEqual(6e-5);
    });
    const check = await measureZooCheck(model, loaded.tokenizer, slice, card.check);
    model.dispose();
    expect(check.meanPCode).toBeCloseTo(card.check.meanPCode ?? Number.NaN, 6);
    expect(check.greedyCodeShare).toBe(card.check.greedyCodeShare);
    expect(check.greedyForcedStyle).toEqual(card.check.greedyForcedStyle);
    expect(check.codeFrequency).toBe(card.check.codeFrequency);
    // The slice against the full-set claims of the card (a slice of 100 is a sample of the 500).
    expect(Math.abs(check.codeFrequency - card.eval.sampled.codeFrequency)).toBeLessThanOrEqual(0.05);
    const sliceMean = decision.perProblem.slice(0, 100).reduce((a, b) => a + b, 0) / 100;
    expect(Math.abs(sliceMean - (card.check.meanPCode ?? Number.NaN))).toBeLessThanOrEqual(1e-4);
  }, 180_000);
});
