// Tests of the URL codec: readable minimal hashes, exact round trips (including random configs), clear
// errors for every kind of bad input, and a fuzz test that garbage never throws or leaks markup.
import { describe, expect, it } from 'vitest';
import { Random } from '../util/random';
import { defaultExperiment, FIELD_SPECS } from './config/fields';
import type { ExperimentConfig } from './config/schema';
import { validateExperiment } from './config/validate';
import { experimentUrl, parseExperimentHash, serializeExperiment } from './url';

/** A random valid config drawn from the spec table (ids from suggestions, numbers inside ranges). */
function randomConfig(rng: Random): ExperimentConfig {
  const partial: Record<string, unknown> = {};
  for (const spec of FIELD_SPECS) {
    if (rng.bernoulli(0.5)) continue;
    switch (spec.type) {
      case 'bool':
        partial[spec.key] = rng.bernoulli(0.5);
        break;
      case 'enum':
        partial[spec.key] = rng.pick(spec.values);
        break;
      case 'id':
        partial[spec.key] =
          spec.key === 'reward'
            ? rng.pick(['random', 'format_AND_inverse_python', 'inverse_python', 'ground_truth'])
            : rng.pick(spec.suggestions);
        break;
      default: {
        const hi = Math.min(spec.max, spec.min + 1000);
        const lo = spec.minExclusive ? spec.min + (hi - spec.min) * 1e-3 : spec.min;
        const x = lo + rng.next() * (hi - lo);
        partial[spec.key] = spec.type === 'int' ? Math.min(hi, Math.round(x)) : x;
      }
    }
  }
  return validateExperiment(partial).config;
}

describe('serializeExperiment', () => {
  it('writes the version, the seed and only non-defaults, readably', () => {
    const config = {
      ...defaultExperiment(),
      reward: 'random',
      gamma: 0.5,
      clipMode: 'none' as const,
      seed: 3,
    };
    expect(serializeExperiment(config)).toBe('v=1&reward=random&clip=none&seed=3');
    expect(serializeExperiment(defaultExperiment())).toBe('v=1&seed=1');
    const lr = { ...defaultExperiment(), lr: 5e-7, maskTruncated: true };
    expect(serializeExperiment(lr)).toBe('v=1&masktrunc=1&lr=5e-7&seed=1');
  });

  it('writes hide with URL keys and builds full links', () => {
    const hash = serializeExperiment(defaultExperiment(), { hidden: ['gamma', 'clipMode'] });
    expect(hash).toBe('v=1&seed=1&hide=gamma,clip');
    expect(experimentUrl('https://lab.example/?x=1#old', defaultExperiment())).toBe(
      'https://lab.example/?x=1#v=1&seed=1',
    );
  });
});

describe('parseExperimentHash', () => {
  it('reads the documented example', () => {
    const { config, errors, hidden, version } = parseExperimentHash(
      '#v=1&model=qwen-math-tiny&reward=random&gamma=0.5&clip=none&seed=3&hide=gamma,clip',
    );
    expect(errors).toEqual([]);
    expect(version).toBe(1);
    expect(config).toMatchObject({
      model: 'qwen-math-tiny',
      reward: 'random',
      gamma: 0.5,
      clipMode: 'none',
      seed: 3,
    });
    expect(hidden).toEqual(['gamma', 'clipMode']);
  });

  it('round-trips random valid configs exactly', () => {
    const rng = new Random(2024);
    for (let i = 0; i < 300; i++) {
      const config = randomConfig(rng);
      const parsed = parseExperimentHash(`#${serializeExperiment(config)}`);
      expect(parsed.errors).toEqual([]);
      expect(parsed.config).toEqual(config);
    }
  });

  it('accepts a whole URL, and an empty or missing hash as all defaults', () => {
    expect(parseExperimentHash('https://x.test/lab/#seed=9').config.seed).toBe(9);
    const bare = parseExperimentHash('https://x.test/lab/?utm=1');
    expect(bare.errors).toEqual([]);
    expect(bare.config).toEqual(defaultExperiment());
    for (const empty of ['', '#', undefined]) {
      const parsed = parseExperimentHash(empty);
      expect(parsed.errors).toEqual([]);
      expect(parsed.config).toEqual(defaultExperiment());
    }
  });

  it('reports each bad field with its URL key, why, and the default used', () => {
    const { config, errors } = parseExperimentHash(
      '#v=1&gamma=2&group=NaN&lr=1e&reward=vibes&clip=maybe&wat=1&seed=-1&temp=Infinity&prompts',
    );
    const byKey = Object.fromEntries(errors.map((e) => [e.urlKey, e]));
    expect(byKey.gamma).toMatchObject({ field: 'gamma', value: '2', defaultUsed: '0.5' });
    expect(byKey.gamma.why).toMatch(/range/);
    expect(byKey.group.why).toMatch(/not a number/);
    expect(byKey.lr.why).toMatch(/not a number/);
    expect(byKey.reward.why).toMatch(/unknown reward.*valid names: ground_truth/);
    expect(byKey.clip.why).toMatch(/valid: clip, none/);
    expect(byKey.wat.why).toMatch(/unknown key/);
    expect(byKey.seed.why).toMatch(/range/);
    expect(byKey.temp.why).toMatch(/not a number/);
    expect(byKey.prompts.why).toMatch(/no value/);
    expect(config).toEqual(defaultExperiment());
  });

  it('flags newer versions, duplicate keys, bad encodings and unknown hide keys', () => {
    const { config, errors, version, hidden } = parseExperimentHash(
      '#v=2&seed=4&seed=5&gamma=%E0%A4%A&hide=seed,nope',
    );
    expect(version).toBe(2);
    expect(config.seed).toBe(5);
    expect(hidden).toEqual(['seed']);
    const whys = errors.map((e) => e.why).join(' | ');
    expect(whys).toMatch(/version 2/);
    expect(whys).toMatch(/more than once/);
    expect(whys).toMatch(/not valid URL encoding/);
    expect(whys).toMatch(/unknown key in hide list/);
  });

  it('treats script-injection text as inert data', () => {
    const hash = `#model=${encodeURIComponent('<script>alert(1)</script>')}&${encodeURIComponent('<img src=x onerror=alert(1)>')}=1&reward=javascript:alert(1)`;
    const { config, errors } = parseExperimentHash(hash);
    expect(config.model).toBe('qwen-math-tiny');
    expect(config.reward).toBe('ground_truth');
    expect(errors.length).toBe(3);
    for (const e of errors) {
      for (const text of [e.field, e.urlKey, e.value, e.why, e.defaultUsed ?? ''])
        expect(text).not.toMatch(/[<>"']/);
    }
  });

  it('never throws on random garbage and always returns a runnable config', () => {
    const rng = new Random(7);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789=&#%,.-_+<>"\'/\\ \u00e9\u2028\ud83d\ude00';
    const keys = FIELD_SPECS.map((s) => s.urlKey).concat(['v', 'hide']);
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const len = rng.int(0, 80);
      for (let j = 0; j < len; j++) {
        // Mix real keys in so the garbage reaches the value parsers, not only the unknown-key path.
        text += rng.bernoulli(0.15) ? `&${rng.pick(keys)}=` : rng.pick([...alphabet]);
      }
      const parsed = parseExperimentHash(text);
      expect(validateExperiment(parsed.config).errors).toEqual([]);
      for (const e of parsed.errors) expect(`${e.field}${e.urlKey}${e.value}`).not.toMatch(/[<>"']/);
    }
    for (const weird of [42, {}, [], null, '#'.repeat(10_000)])
      expect(() => parseExperimentHash(weird)).not.toThrow();
  });
});
