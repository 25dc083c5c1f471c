// Tests of the experiment config (schema, fields, validate, display, derived): the spec table is
// self-consistent, defaults are valid and follow the paper's ratios, and validation reports (never
// throws on) bad fields.
import { describe, expect, it } from 'vitest';
import { adamWConfig, learningRateAt, policyLossConfig, updatesPerRolloutBatch } from './derived';
import { displayValue, formatFieldError } from './display';
import { DEFAULT_EXPERIMENT, defaultExperiment, FIELD_SPECS } from './fields';
import { validateExperiment } from './validate';

describe('field specs', () => {
  it('have unique keys and URL keys, and defaults inside their own ranges', () => {
    expect(new Set(FIELD_SPECS.map((s) => s.key)).size).toBe(FIELD_SPECS.length);
    expect(new Set(FIELD_SPECS.map((s) => s.urlKey)).size).toBe(FIELD_SPECS.length);
    for (const spec of FIELD_SPECS) {
      expect(spec.help.length, spec.key).toBeGreaterThan(10);
      expect(spec.paper.length, spec.key).toBeGreaterThan(0);
      expect(spec.urlKey).toMatch(/^[a-z0-9]+$/);
      expect(['v', 'hide', 'preset']).not.toContain(spec.urlKey);
    }
    // Validating the defaults field by field must give no errors and the same config.
    const { config, errors } = validateExperiment({ ...DEFAULT_EXPERIMENT });
    expect(errors).toEqual([]);
    expect(config).toEqual(DEFAULT_EXPERIMENT);
  });

  it('defaults follow the paper scaled down: G=16, eps 0.2, no KL, no entropy, T=1, 8 updates per batch', () => {
    const d = defaultExperiment();
    expect(d.groupSize).toBe(16);
    expect([d.epsLow, d.epsHigh]).toEqual([0.2, 0.2]);
    expect(d.klCoef).toBe(0);
    expect(d.entropyCoef).toBe(0);
    expect(d.temperature).toBe(1);
    expect(updatesPerRolloutBatch(d)).toBe(8);
    expect([d.beta1, d.beta2, d.gradClip]).toEqual([0.9, 0.95, 1]);
    expect(d.clipMode).toBe('clip');
  });
});

describe('validateExperiment', () => {
  it('accepts typed values and numeric text', () => {
    const { config, errors } = validateExperiment({
      reward: 'random',
      gamma: '0.7',
      groupSize: 8,
      clipMode: 'none',
    });
    expect(errors).toEqual([]);
    expect(config.reward).toBe('random');
    expect(config.gamma).toBe(0.7);
    expect(config.groupSize).toBe(8);
    expect(config.clipMode).toBe('none');
  });

  it('reports bad numbers, ranges, enums and unknown fields with the default used', () => {
    const { config, errors } = validateExperiment({
      gamma: 1.5,
      groupSize: 2.5,
      lr: 'fast',
      clipMode: 'sometimes',
      temperature: 0,
      bogus: 3,
    });
    const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
    expect(byField.gamma.why).toMatch(/out of range/);
    expect(byField.gamma.defaultUsed).toBe('0.5');
    expect(config.gamma).toBe(0.5);
    expect(byField.groupSize.why).toMatch(/whole number/);
    expect(byField.lr.why).toMatch(/not a number/);
    expect(byField.clipMode.why).toMatch(/clip, none/);
    expect(byField.temperature.why).toMatch(/> 0/);
    expect(byField.bogus.why).toMatch(/unknown field/);
    expect(byField.bogus.defaultUsed).toBeNull();
    expect(config.groupSize).toBe(16);
  });

  it('rejects unknown rewards listing the valid names, and accepts compounds', () => {
    const bad = validateExperiment({ reward: 'vibes' });
    expect(bad.errors[0].field).toBe('reward');
    expect(bad.errors[0].why).toMatch(/ground_truth.*format.*random/);
    expect(bad.config.reward).toBe('ground_truth');
    expect(validateExperiment({ reward: 'format_AND_inverse_python' }).errors).toEqual([]);
  });

  it('fixes a mini-batch that does not divide B×G to the largest divisor below it', () => {
    const { config, errors } = validateExperiment({ promptsPerStep: 4, groupSize: 6, miniBatchSize: 10 });
    expect(errors.map((e) => e.field)).toEqual(['miniBatchSize']);
    expect(config.miniBatchSize).toBe(8);
    expect(24 % config.miniBatchSize).toBe(0);
  });

  it('rejects a dual clip in (0, 1]', () => {
    const { config, errors } = validateExperiment({ dualClip: 0.5 });
    expect(errors[0].field).toBe('dualClip');
    expect(config.dualClip).toBe(0);
  });

  it('never throws and never echoes markup', () => {
    for (const input of [null, 42, 'x', [], { model: '<script>alert(1)</script>' }, { seed: {} }]) {
      const { config, errors } = validateExperiment(input);
      expect(config.groupSize).toBe(16);
      for (const e of errors) expect(formatFieldError(e)).not.toMatch(/[<>]/);
    }
    expect(displayValue('<img onerror=x>')).toBe('\\u003cimg onerror=x\\u003e');
  });
});

describe('engine configs', () => {
  it('map the experiment onto PolicyLossConfig and AdamWConfig', () => {
    const c = validateExperiment({ dualClip: 3, gradClip: 0, maxNewTokens: 64 }).config;
    expect(policyLossConfig(c)).toMatchObject({
      clipMode: 'clip',
      dualClip: 3,
      maxLengthNorm: 64,
      klCoef: 0,
    });
    expect(policyLossConfig(defaultExperiment()).dualClip).toBeNull();
    expect(adamWConfig(c).maxGradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(adamWConfig(defaultExperiment())).toMatchObject({ beta1: 0.9, beta2: 0.95, maxGradNorm: 1 });
  });

  it('warms up linearly and decays by cosine to 0', () => {
    const c = validateExperiment({ lr: 1, warmupSteps: 4, steps: 14, lrSchedule: 'cosine' }).config;
    expect(learningRateAt(c, 0)).toBeCloseTo(0.25);
    expect(learningRateAt(c, 3)).toBeCloseTo(1);
    expect(learningRateAt(c, 4)).toBeCloseTo(1);
    expect(learningRateAt(c, 9)).toBeCloseTo(0.5);
    expect(learningRateAt(c, 14)).toBeCloseTo(0);
  });
});
