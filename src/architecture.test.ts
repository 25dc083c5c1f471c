// The layers of src/, one way (docs/architecture.md): every relative import of every file is checked
// against the declared order, and the two engines stay peers. A wrong-way import fails here, naming
// the file, the line and the rule it breaks.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname);

/**
 * Rank of each top-level module of src/: a file may import its own module or any module of a LOWER
 * rank. Modules of equal rank are independent of each other (rl and onnx; cli and ui).
 */
const LAYERS: Record<string, number> = {
  util: 0, // seeded randomness, IndexedDB helpers: no project imports
  model: 1, // Qwen2 config, parameter layout, tokenizer, checkpoint formats: the floor
  engine: 2, // Backend interface, cpu/ and webgpu/ (peers), shared validation and RoPE tables
  tasks: 3, // MiniMath, grading, styles, corpora, the zoo build core
  rl: 4, // GRPO: rollouts, rewards, advantages, trainer, instruments, eval
  onnx: 4, // ONNX export and checks against ONNX Runtime (above the engine, beside rl)
  experiment: 5, // experiment config + URL codec, presets, runner, persistence, exports, paired analysis
  export: 6, // cluster recipes (verl / OpenRLHF) written from an experiment
  cli: 7, // the command-line front end
  ui: 7, // the React front end
  'main.tsx': 8,
};

/** The two engines implement one interface; neither may import the other (tests compare them). */
const PEERS = ['engine/cpu', 'engine/webgpu'];

interface Violation {
  file: string;
  line: number;
  target: string;
  why: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT =
  /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/;
const DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every relative import of a file that breaks the layering, given the file's path relative to src/. */
function layerViolations(file: string, text: string): Violation[] {
  const module = file.split('/')[0];
  const rank = LAYERS[module];
  const violations: Violation[] = [];
  const isTest = /\.test\.tsx?$/.test(file);
  text.split('\n').forEach((lineText, index) => {
    const specifiers = new Set<string>();
    const match = IMPORT.exec(lineText);
    if (match) specifiers.add(match[1] ?? match[2]);
    for (const m of lineText.matchAll(DYNAMIC)) specifiers.add(m[1]);
    for (const specifier of specifiers) {
      const target = join(file, '..', specifier);
      if (target.startsWith('..')) continue; // outside src/ (shaders, package files)
      const targetModule = target.split('/')[0];
      const targetRank = LAYERS[targetModule];
      const at = { file, line: index + 1, target };
      if (rank === undefined) violations.push({ ...at, why: `module '${module}' has no declared layer` });
      else if (targetRank === undefined)
        violations.push({ ...at, why: `module '${targetModule}' has no declared layer` });
      else if (targetModule !== module && targetRank >= rank)
        violations.push({
          ...at,
          why: `${module} (layer ${rank}) may not import ${targetModule} (layer ${targetRank})`,
        });
      const fromPeer = PEERS.find((p) => file.startsWith(`${p}/`));
      const toPeer = PEERS.find((p) => target.startsWith(`${p}/`) || target === p);
      if (!isTest && fromPeer && toPeer && fromPeer !== toPeer)
        violations.push({
          ...at,
          why: `${fromPeer} and ${toPeer} are peers: share code through src/engine/`,
        });
    }
  });
  return violations;
}

describe('layers', () => {
  it('every import in src/ goes down the declared order, and the engines stay peers', () => {
    const violations = sourceFiles(SRC).flatMap((path) =>
      layerViolations(relative(SRC, path), readFileSync(path, 'utf8')),
    );
    expect(violations.map((v) => `${v.file}:${v.line} imports ${v.target}: ${v.why}`)).toEqual([]);
  });

  it('flags a planted wrong-way import, a peer import and a dynamic one, with file and line', () => {
    const planted = "import { x } from './y';\nimport { CHART_SPECS } from '../ui/charts/chartSpecs';\n";
    expect(layerViolations('rl/trainer.ts', planted)).toEqual([
      {
        file: 'rl/trainer.ts',
        line: 2,
        target: 'ui/charts/chartSpecs',
        why: 'rl (layer 4) may not import ui (layer 7)',
      },
    ]);
    const peer = "import { ropeTables } from '../cpu/ops';";
    expect(layerViolations('engine/webgpu/model.ts', peer)[0].why).toMatch(/are peers/);
    expect(layerViolations('engine/webgpu/model.test.ts', peer)).toEqual([]);
    const dynamic = "const m = await import('../experiment/presets');";
    expect(layerViolations('tasks/zoo.ts', dynamic)[0].why).toBe(
      'tasks (layer 3) may not import experiment (layer 5)',
    );
    expect(layerViolations('onnx/export.ts', "import { x } from '../rl/trainer';")[0].why).toMatch(
      /onnx \(layer 4\) may not import rl \(layer 4\)/,
    );
  });
});
