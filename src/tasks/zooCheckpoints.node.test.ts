// The shipped zoo: each public/models/<family>/ loads through the lab's checkpoint reader, its card
// records the build, and its card's code frequency re-measures within 5 points on a 100-problem slice
// of MiniMath-500 with the CPU engine. Node-only (reads files from disk).
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
import { measureCodeFrequency } from './zooEval';

const MODELS_DIR = join(__dirname, '..', '..', 'public', 'models');

describe.each(FAMILY_NAMES)('shipped zoo family %s', (family) => {
  it('loads and re-measures its card code frequency within 5 points on 100 problems', async () => {
    const loaded = await readCheckpointDir(join(MODELS_DIR, family));
    expect(loaded.config).toEqual(ZOO_MODEL_CONFIG);
    const card = loaded.card as ZooCard;
    expect(card.name).toBe(family);
    expect(card.buildCommand).toContain(`--family ${family}`);
    expect(card.eval.problems).toBe(500);
    expect(card.eval.sampled.samples).toBeGreaterThanOrEqual(4);
    expect(card.training.wallSeconds).toBeGreaterThan(0);

    const model = await new CpuBackend().createModel(loaded.config, loaded.params);
    const slice = miniMath500().slice(0, card.check.problems);
    expect(slice).toHaveLength(100);
    const codeFrequency = await measureCodeFrequency(model, loaded.tokenizer, slice, card.check);
    model.dispose();
    // Against the full-set figure (the claim of the card) and the slice figure the builder measured.
    expect(Math.abs(codeFrequency - card.eval.sampled.codeFrequency)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(codeFrequency - card.check.codeFrequency)).toBeLessThanOrEqual(0.05);
  }, 120_000);
});
