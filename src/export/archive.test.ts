// The tar writer against Python's tarfile module: every file, its bytes (Unicode included) and its
// mode come back; the archive is deterministic; over-long paths are refused.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { validateExperiment } from '../experiment/config/validate';
import { tarArchive } from './archive';
import { exportArchive, exportExperiment } from './cluster';

describe('tarArchive', () => {
  it('round-trips an export through python3 tarfile', () => {
    const { files } = exportExperiment(validateExperiment({ reward: 'random' }).config, { engine: 'verl' });
    files['notes/unicode.txt'] = 'γ = 0.5 — ünïcode\n';
    files['empty.txt'] = '';
    const bytes = tarArchive(files, 'export');
    expect(bytes.length % 512).toBe(0);
    const listing = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `import io, json, sys, tarfile
t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
print(json.dumps({m.name: [t.extractfile(m).read().decode("utf-8"), oct(m.mode)] for m in t.getmembers()}))`,
        ],
        { input: Buffer.from(bytes), encoding: 'utf8' },
      ),
    ) as Record<string, [string, string]>;
    expect(Object.keys(listing).sort()).toEqual(
      Object.keys(files)
        .map((p) => `export/${p}`)
        .sort(),
    );
    for (const [path, text] of Object.entries(files)) expect(listing[`export/${path}`][0]).toBe(text);
    expect(listing['export/run_verl.sh'][1]).toBe('0o755');
    expect(listing['export/README.md'][1]).toBe('0o644');
  });

  it('exportArchive names the download after the experiment and holds the export', () => {
    const config = validateExperiment({ reward: 'format', seed: 4 }).config;
    const archive = exportArchive(config, { engine: 'openrlhf' });
    expect(archive.fileName).toBe('spurious-rewards-openrlhf-qwen-math-tiny-format-seed4.tar');
    const text = new TextDecoder().decode(archive.bytes);
    expect(text).toContain('lab-export-openrlhf/run_openrlhf.sh');
    // The longest names the schema allows still fit in a tar header.
    const long = validateExperiment({
      model: 'm'.repeat(80),
      reward: 'inverse_majority_vote_online_AND_inverse_format',
    }).config;
    expect(exportArchive(long, { engine: 'verl' }).bytes.length).toBeGreaterThan(0);
    expect(archive.caveats.some((c) => c.field === 'aggregation')).toBe(true);
  });

  it('is deterministic and refuses paths longer than 100 bytes', () => {
    const files = { 'a.txt': 'x' };
    expect(tarArchive(files, 'r')).toEqual(tarArchive(files, 'r'));
    expect(() => tarArchive({ ['p'.repeat(120)]: '' }, 'r')).toThrow(/longer than 100 bytes/);
  });
});
