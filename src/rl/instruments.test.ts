// The mechanism's instruments on batches whose counts are known by construction (style vs other tokens,
// pi_old bins, the advantage's direction, masked tokens), the exact p(code) read-off against the whole
// first-token distribution, and the trainer's tallies against the loss's own clip counter.
import { describe, expect, it } from 'vitest';
import type { TokenBatch } from '../engine/backend';
import { CpuBackend } from '../engine/cpu/backend';
import { initParameters } from '../model/layout';
import { formatPrompt } from '../tasks/format';
import { emptyClipTally, pOldBinIndex, sigmoid, styleLogOdds, tallyClipEvents } from './instruments';
import { GrpoTrainer } from './trainer';
import { codec, config, formatOnlyModel, LOSS, parts, settings } from './trainerFixtures';

const ln = Math.log;

/** Two rows: row 0 (A > 0) prompt 3 tokens, row 1 (A < 0) prompt 2 tokens with its last token masked. */
function constructed() {
  const T = 6;
  const batch: TokenBatch = {
    B: 2,
    T,
    tokens: new Int32Array(2 * T),
    lengths: new Int32Array([6, 5]),
    lossMask: new Float32Array([0, 0, 0, 1, 1, 1, /* row 1 */ 0, 0, 1, 1, 0, 0]),
  };
  const old0 = [0, 0, 0, ln(0.9), ln(0.5), ln(0.1)];
  const old1 = [0, 0, ln(0.3), ln(0.95), ln(0.6), 0];
  const ratios0 = [1, 1, 1, 1.3, 1.1, 0.5];
  const ratios1 = [1, 1, 0.7, 0.9, 0.1, 1];
  const newLogprobs = new Float32Array(2 * T);
  for (let t = 0; t < T; t++) {
    newLogprobs[t] = old0[t] + ln(ratios0[t]);
    newLogprobs[T + t] = old1[t] + ln(ratios1[t]);
  }
  const rows = [
    { promptLength: 3, oldLogprobs: old0, advantage: 1 },
    { promptLength: 2, oldLogprobs: old1, advantage: -1 },
  ];
  return { batch, newLogprobs, rows };
}

describe('tallyClipEvents', () => {
  it('counts clip events at the style position apart from other tokens, by pi_old bin and direction', () => {
    const { batch, newLogprobs, rows } = constructed();
    const tally = emptyClipTally();
    tallyClipEvents(tally, batch, newLogprobs, rows, LOSS);
    // Row 0's style token (pi_old 0.9, R 1.3, A > 0): the upper bound binds. Row 1's (pi_old 0.3,
    // R 0.7, A < 0): the lower one. R 0.5 with A > 0 is no event; row 1's masked token is not counted.
    expect(tally.styleTokens).toBe(2);
    expect(tally.styleClipHigh).toBe(1);
    expect(tally.styleClipLow).toBe(1);
    expect(tally.otherTokens).toBe(3);
    expect(tally.otherClipHigh).toBe(0);
    expect(tally.otherClipLow).toBe(0);
    expect(tally.tokensByPOld).toEqual([1, 1, 1, 2]);
    expect(tally.clipHighByPOld).toEqual([0, 0, 0, 1]);
    expect(tally.clipLowByPOld).toEqual([0, 1, 0, 0]);
    expect(tally.styleRatioMin).toBeCloseTo(0.7, 5);
    expect(tally.styleRatioMax).toBeCloseTo(1.3, 5);
    expect(tally.styleRatioSum / tally.styleTokens).toBeCloseTo(1, 5);
  });

  it('follows eps_high: a ratio of 1.3 binds at eps_high 0.28, not at 0.35', () => {
    const { batch, newLogprobs, rows } = constructed();
    const at = (epsHigh: number) => {
      const tally = emptyClipTally();
      tallyClipEvents(tally, batch, newLogprobs, rows, { ...LOSS, epsHigh });
      return tally.styleClipHigh;
    };
    expect(at(0.28)).toBe(1);
    expect(at(0.35)).toBe(0);
  });

  it('bins pi_old at 0.2, 0.5 and 1/(1+0.2) ~ 0.83', () => {
    expect([0.1, 0.2, 0.49, 0.5, 0.83, 0.84, 0.99].map(pOldBinIndex)).toEqual([0, 1, 1, 2, 2, 3, 3]);
  });
});

describe('styleLogOdds', () => {
  it('reads p(code) off the whole first-token distribution (the probabilities of every next token sum to 1)', async () => {
    const model = await new CpuBackend().createModel(config, initParameters(config, 5));
    const prompts = ['3+4', '2+3'].map((q) => Int32Array.from(codec.encode(formatPrompt(q))));
    const codeId = Array.from(codec.encode('```python\n'))[0];
    const logOdds = await styleLogOdds(model, prompts, codeId);
    for (const [b, prompt] of prompts.entries()) {
      // p of every possible next token, each read off the same way as p(code).
      const pNext = [];
      for (let next = 0; next < config.vocab_size; next++)
        pNext.push(sigmoid((await styleLogOdds(model, [prompt], next))[0]));
      const total = pNext.reduce((a, b) => a + b, 0);
      const pCode = pNext[codeId];
      expect(total).toBeCloseTo(1, 4);
      expect(sigmoid(logOdds[b])).toBeCloseTo(pCode, 6);
    }
    model.dispose();
  });
});

describe('GrpoTrainer instruments', () => {
  it('8 updates at a large learning rate: the clip binds at the style position, counts match the loss', async () => {
    const policy = await formatOnlyModel();
    // 16 rollouts, mini-batches of 2: 8 updates; each row sits in one mini-batch per epoch, so 16 style tokens.
    const trainer = new GrpoTrainer(settings({ miniBatchSize: 2, lr: 0.05 }), parts(policy, 'random'));
    const { metrics: m } = await trainer.step(0);
    expect(m.updates).toBe(8);
    expect(m.styleTokens).toBe(16);
    const events = (m.styleClipHigh ?? 0) + (m.styleClipLow ?? 0);
    expect(events).toBeGreaterThan(0);
    expect(m.styleLogitMovePerUpdate).toBeGreaterThan(0);
    expect(m.styleLogitMovePerBatch).toBeGreaterThan(0);
    // The loss's own counters (engine side) and the instruments' (trainer side) agree token for token.
    const tokens = (m.styleTokens ?? 0) + (m.otherTokens ?? 0);
    const high = (m.styleClipHigh ?? 0) + (m.otherClipHigh ?? 0);
    const low = (m.styleClipLow ?? 0) + (m.otherClipLow ?? 0);
    expect(Math.round(m.clipFracHigh * tokens)).toBe(high);
    expect(Math.round(m.clipFracLow * tokens)).toBe(low);
    const binned = (prefix: 'tokens' | 'clipHigh' | 'clipLow') =>
      ['Below02', '02to05', '05to083', 'Above083']
        .map((k) => (m as unknown as Record<string, number>)[`${prefix}POld${k}`])
        .reduce((a, b) => a + b, 0);
    expect(binned('tokens')).toBe(tokens);
    expect(binned('clipHigh')).toBe(high);
    expect(binned('clipLow')).toBe(low);
    expect(m.stylePCodeOld).toBeGreaterThanOrEqual(0);
    expect(m.stylePCodeOld).toBeLessThan(1);
  }, 60_000);

  it('one update per rollout batch: every ratio is 1, nothing is clipped, the batch move is the update move', async () => {
    const policy = await formatOnlyModel();
    const trainer = new GrpoTrainer(settings({ miniBatchSize: 16, lr: 0.05 }), parts(policy, 'random'));
    const { metrics: m } = await trainer.step(0);
    expect(m.updates).toBe(1);
    expect(m.styleRatioMin).toBeCloseTo(1, 6);
    expect(m.styleRatioMax).toBeCloseTo(1, 6);
    expect(m.styleClipHigh).toBe(0);
    expect(m.styleClipLow).toBe(0);
    expect(m.styleLogitMovePerBatch).toBeCloseTo(m.styleLogitMovePerUpdate ?? Number.NaN, 12);
  }, 60_000);
});
