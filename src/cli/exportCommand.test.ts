// Tests of `lab export`: flag parsing with specific errors, writing the folder, refusing to overwrite,
// and rejecting experiments with invalid fields instead of exporting defaults silently.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExportArgs, runExportCommand } from './exportCommand';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-export-cli-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('parseExportArgs', () => {
  it('reads engine, source and options', () => {
    const args = parseExportArgs([
      '--engine',
      'openrlhf',
      '--preset',
      'fig1-random',
      '--lr',
      '1e-6',
      '--gpus',
      '4',
      '--model',
      'a/b',
    ]);
    expect(args.options).toEqual({ engine: 'openrlhf', lr: 1e-6, gpusPerNode: 4, model: 'a/b' });
    expect(args.run.preset).toBe('fig1-random');
  });

  it('rejects bad input with specific messages', () => {
    expect(() => parseExportArgs(['--preset', 'fig1-random'])).toThrow(/--engine is required/);
    expect(() => parseExportArgs(['--engine', 'trl', '--preset', 'x'])).toThrow(
      /--engine must be one of verl, openrlhf, got "trl"/,
    );
    expect(() => parseExportArgs(['--engine', 'verl'])).toThrow(/--preset, --url or --config/);
    expect(() => parseExportArgs(['--engine', 'verl', '--preset', 'x', '--gpus', '2.5'])).toThrow(
      /--gpus needs a positive whole number/,
    );
    expect(() => parseExportArgs(['--engine', 'verl', '--preset', 'x', '--lr', 'fast'])).toThrow(
      /--lr needs a positive number, got "fast"/,
    );
    expect(() => parseExportArgs(['--engine', 'verl', '--url'])).toThrow(/--url needs a value/);
    expect(() => parseExportArgs(['--engine', 'verl', '--bogus'])).toThrow(/unknown export option --bogus/);
  });
});

describe('runExportCommand', () => {
  it('writes the folder for a URL and reports the caveats', () => {
    const out = join(tempDir(), 'verl-run');
    const lines: string[] = [];
    const code = runExportCommand(
      [
        '--engine',
        'verl',
        '--url',
        'https://lab.test/#v=1&reward=random&gamma=0.3&clip=none&seed=3',
        '--out',
        out,
      ],
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'README.md',
      'experiment.json',
      'lab_reward.py',
      'prepare_data.py',
      'run_verl.sh',
    ]);
    expect(statSync(join(out, 'run_verl.sh')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(out, 'lab_reward.py'), 'utf8')).toContain(
      'GAMMA = float(os.environ.get("LAB_GAMMA", "0.3"))',
    );
    expect(JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')).config).toMatchObject({
      reward: 'random',
      clipMode: 'none',
      seed: 3,
    });
    expect(lines.join('\n')).toMatch(/wrote 5 files/);
    expect(lines.join('\n')).toMatch(/unmapped\s+dataset/);
  });

  it('refuses a non-empty folder unless --force', () => {
    const out = tempDir();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const argv = ['--engine', 'openrlhf', '--preset', 'fig1-format', '--out', out];
    expect(() => runExportCommand(argv, () => {})).toThrow(/not empty/);
    expect(runExportCommand([...argv, '--force'], () => {})).toBe(0);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(out)).toContain('run_openrlhf.sh');
  });

  it('rejects experiments with invalid fields and unknown presets', () => {
    const lines: string[] = [];
    expect(() =>
      runExportCommand(['--engine', 'verl', '--url', '#reward=vibes&gamma=2', '--out', tempDir()], (l) =>
        lines.push(l),
      ),
    ).toThrow(/2 invalid field/);
    expect(lines.join('\n')).toMatch(/unknown reward/);
    expect(() =>
      runExportCommand(['--engine', 'verl', '--preset', 'nope', '--out', tempDir()], () => {}),
    ).toThrow(/unknown preset "nope"/);
  });
});
