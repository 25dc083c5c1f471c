// The zoo builder's spec validation and the build itself on the CPU engine: a build stopped and resumed
// from its progress checkpoint ends with exactly the weights of an uninterrupted build (what a reload
// relies on), and a finished build yields loadable HF files and a card of measured figures.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/backend';
import { loadCheckpoint } from '../model/checkpoint';
import { FAMILY_PRESETS } from './corpus';
import { type BuildProgress, buildFamily, type FamilySpec, familySpecProblems } from './familyBuild';
import { DEFAULT_GENERATOR_OPTIONS } from './minimath';

function tinySpec(patch: Partial<FamilySpec> = {}): FamilySpec {
  return {
    name: 'test-family',
    basedOn: 'qwen-math-tiny',
    knobs: structuredClone(FAMILY_PRESETS['qwen-math-tiny'].knobs),
    steps: 4,
    seed: 7,
    batchSize: 2,
    peakLr: 3e-3,
    evalProblems: 2,
    evalSamples: 1,
    ...patch,
  };
}

describe('familySpecProblems', () => {
  it('accepts the shipped presets as starting points', () => {
    for (const preset of Object.values(FAMILY_PRESETS))
      expect(familySpecProblems(tinySpec({ knobs: structuredClone(preset.knobs) }))).toEqual([]);
  });

  it.each([
    ['', 'name must be'],
    ['ab', 'name must be'],
    ['My-Family', 'name must be'],
    ['-lead', 'name must be'],
    ['has space', 'name must be'],
    ['a'.repeat(41), 'name must be'],
    ['llama-tiny', 'is a shipped family'],
  ])('refuses the name %j', (name, message) => {
    const problems = familySpecProblems(tinySpec({ name }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('refuses bad numbers and knobs, one problem each', () => {
    const knobs = structuredClone(FAMILY_PRESETS['llama-tiny'].knobs);
    knobs.codeShare.story = -0.1;
    knobs.correctness.language = 1.5;
    const problems = familySpecProblems(
      tinySpec({ steps: 0, seed: 1.5, evalProblems: 501, peakLr: Number.NaN, knobs }),
    );
    expect(problems.some((p) => p.startsWith('steps'))).toBe(true);
    expect(problems.some((p) => p.startsWith('seed'))).toBe(true);
    expect(problems.some((p) => p.startsWith('eval problems'))).toBe(true);
    expect(problems.some((p) => p.startsWith('learning rate'))).toBe(true);
    expect(problems.some((p) => p.includes('codeShare.story'))).toBe(true);
    expect(problems.some((p) => p.includes('correctness.language'))).toBe(true);
    expect(problems).toHaveLength(6);
  });

  it('refuses a family that never writes code and has no other style', () => {
    const knobs = { ...FAMILY_PRESETS['llama-tiny'].knobs, generator: DEFAULT_GENERATOR_OPTIONS };
    knobs.otherStyles = { language: 0, direct: 0, unboxed: 0 };
    expect(familySpecProblems(tinySpec({ knobs }))).toEqual([
      'otherStyles must give language, direct or unboxed a positive weight',
    ]);
  });
});

describe('buildFamily (CPU engine)', () => {
  it('a stopped and resumed build ends with the weights of an uninterrupted one', async () => {
    const spec = tinySpec();
    const straight = await buildFamily(spec, new CpuBackend(), null);
    expect(straight.kind).toBe('built');
    if (straight.kind !== 'built') return;

    let steps = 0;
    const checkpoints: BuildProgress[] = [];
    const first = await buildFamily(spec, new CpuBackend(), null, {
      checkpointEvery: 1,
      onStep: () => steps++,
      shouldStop: () => steps >= 2,
      onCheckpoint: (p) => {
        checkpoints.push(p);
      },
    });
    expect(first.kind).toBe('stopped');
    if (first.kind !== 'stopped') return;
    expect(first.progress.step).toBe(2);
    expect(checkpoints.map((c) => c.step)).toEqual([1, 2, 2]);
    const resumed = await buildFamily(spec, new CpuBackend(), first.progress);
    expect(resumed.kind).toBe('built');
    if (resumed.kind !== 'built') return;
    expect(resumed.files.safetensorsBytes).toEqual(straight.files.safetensorsBytes);
    expect(resumed.card.training.sessions.map((s) => [s.fromStep, s.toStep])).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(resumed.card.training.processedTokens).toBe(straight.card.training.processedTokens);
  });

  it('a finished build gives loadable HF files and a card of what it measured', async () => {
    const spec = tinySpec({ steps: 3 });
    const reports: number[] = [];
    const result = await buildFamily(spec, new CpuBackend(), null, { onStep: (r) => reports.push(r.step) });
    expect(reports).toEqual([1, 2, 3]);
    if (result.kind !== 'built') throw new Error('expected a built family');
    const loaded = loadCheckpoint({
      configJson: result.files.configJson,
      safetensorsBytes: result.files.safetensorsBytes,
      tokenizerJson: result.files.tokenizerJson,
    });
    expect(loaded.params.length).toBe(result.card.model.parameters);
    expect(result.card.name).toBe('test-family');
    expect(result.card.training.engine).toBe('cpu');
    expect(result.card.training.steps).toBe(3);
    expect(result.card.eval.problems).toBe(2);
    expect(result.card.eval.sampled.responses).toBe(2);
    expect(result.card.eval.set).toBe('MiniMath-500 (first 2)');
    expect(result.card.corpus.knobs).toEqual(spec.knobs);
    // Zoo v2's card: the exact style decision per problem, its bins, sampled forced-style accuracy.
    const decision = result.card.eval.styleDecision;
    if (!decision) throw new Error('expected the style decision on the card');
    expect(decision.perProblem).toHaveLength(2);
    for (const p of decision.perProblem) expect(p).toBeGreaterThan(0);
    expect(Object.values(decision.histogram).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(decision.meanPCode).toBeCloseTo((decision.perProblem[0] + decision.perProblem[1]) / 2, 3);
    expect(decision.entropyAtStyle).toBeGreaterThan(0);
    expect(result.card.eval.sampledForcedStyle).toBeDefined();
    expect(result.card.check.problems).toBe(2);
    expect(result.card.check.greedyForcedStyle).toBeDefined();
    expect(result.card.targets).toEqual([]);
  });

  it('refuses an invalid spec before training', async () => {
    await expect(buildFamily(tinySpec({ name: 'x' }), new CpuBackend(), null)).rejects.toThrow(
      /name must be/,
    );
  });
});
