// The Learn panel's live toy: GRPO on the style choice alone (src/rl/styleToy.ts), 40 paired seeds run
// in the page in a fraction of a second, with the clip, one update per batch, eps_high and the learning
// rate as controls, and the distribution of final greedy code shares drawn seed by seed. A toy of the
// mechanism, labelled as such; what the lab's language models did is in the study (docs/science.md).
import { useEffect, useId, useMemo, useState } from 'react';
import { runStyleToySeeds, STYLE_TOY_DEFAULTS, type StyleToySummary } from '../../rl/styleToy';

const SEEDS = 40;
const LEARNING_RATES = [0.01, 0.03, 0.1, 0.3] as const;
const SIZE = { width: 360, height: 110, pad: 24 };
const x = (share: number) => SIZE.pad + share * (SIZE.width - 2 * SIZE.pad);

interface ToyControls {
  clip: boolean;
  oneUpdate: boolean;
  epsHigh: number;
  lr: number;
}

/** A labelled checkbox of the toy's controls. */
function Toggle({
  id,
  label,
  checked,
  onChange,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label htmlFor={id}>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

function runToy(c: ToyControls): StyleToySummary {
  return runStyleToySeeds(
    {
      ...STYLE_TOY_DEFAULTS,
      clip: c.clip,
      epsHigh: c.epsHigh,
      lr: c.lr,
      updatesPerBatch: c.oneUpdate ? 1 : STYLE_TOY_DEFAULTS.updatesPerBatch,
    },
    SEEDS,
  );
}

/** Final greedy code share of each seed as a dot, stacked where seeds land on the same share. */
function SeedStrip({ summary }: { summary: StyleToySummary }) {
  const start = summary.runs[0]?.greedyCodeShareStart ?? 0.65;
  const stacks = new Map<number, number>();
  const dots = summary.runs.map((run) => {
    const key = Math.round(run.greedyCodeShareEnd * 50);
    const level = stacks.get(key) ?? 0;
    stacks.set(key, level + 1);
    return { run, level };
  });
  const base = SIZE.height - SIZE.pad;
  return (
    <svg
      viewBox={`0 0 ${SIZE.width} ${SIZE.height}`}
      role="img"
      aria-label={`Final greedy code share of ${summary.runs.length} seeds: median ${summary.medianEnd.toFixed(2)}, ${summary.up} up, ${summary.down} down from ${start.toFixed(2)}`}
      data-testid="toy-strip"
    >
      <line x1={x(0)} y1={base} x2={x(1)} y2={base} stroke="#000" />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <text key={t} x={x(t)} y={base + 14} fontSize={10} textAnchor="middle">
          {t}
        </text>
      ))}
      <line x1={x(start)} y1={8} x2={x(start)} y2={base} stroke="#666" strokeDasharray="3 3" />
      <text x={x(start) + 3} y={14} fontSize={10} fill="#444">
        start {start.toFixed(2)}
      </text>
      <line
        x1={x(summary.medianEnd)}
        y1={8}
        x2={x(summary.medianEnd)}
        y2={base}
        stroke="#0072B2"
        strokeWidth={2}
      />
      <text x={x(summary.medianEnd) + 3} y={26} fontSize={10} fill="#0072B2">
        median {summary.medianEnd.toFixed(2)}
      </text>
      {dots.map(({ run, level }) => (
        <circle
          key={run.seed}
          cx={x(run.greedyCodeShareEnd)}
          cy={base - 4 - level * 6}
          r={2.6}
          fill={
            run.greedyCodeShareEnd > run.greedyCodeShareStart
              ? '#009E73'
              : run.greedyCodeShareEnd < run.greedyCodeShareStart
                ? '#D55E00'
                : '#999'
          }
        />
      ))}
    </svg>
  );
}

export function StyleToyPanel() {
  const [controls, setControls] = useState<ToyControls>({
    clip: true,
    oneUpdate: false,
    epsHigh: 0.2,
    lr: 0.1,
  });
  const [summary, setSummary] = useState<StyleToySummary | null>(null);
  const ids = { clip: useId(), one: useId(), eps: useId(), lr: useId() };
  // 40 seeds x 150 steps take ~0.2 s: run after paint so the controls never feel stuck.
  useEffect(() => {
    setSummary(null);
    const timer = setTimeout(() => setSummary(runToy(controls)), 0);
    return () => clearTimeout(timer);
  }, [controls]);
  const set = (patch: Partial<ToyControls>) => setControls((c) => ({ ...c, ...patch }));
  const verdict = useMemo(() => {
    if (!summary) return 'running 40 seeds…';
    const start = summary.runs[0].greedyCodeShareStart;
    return `Greedy code share ${start.toFixed(2)} → median ${summary.medianEnd.toFixed(2)}, mean ${summary.meanEnd.toFixed(2)}; ${summary.up} of ${summary.runs.length} seeds up, ${summary.down} down.`;
  }, [summary]);

  return (
    <figure className="style-toy" data-testid="style-toy">
      <div className="clip-controls">
        <Toggle id={ids.clip} label="clip" checked={controls.clip} onChange={(clip) => set({ clip })} />
        <Toggle
          id={ids.one}
          label="one update per batch"
          checked={controls.oneUpdate}
          onChange={(oneUpdate) => set({ oneUpdate })}
        />
        <label htmlFor={ids.eps}>
          ε_high = <output>{controls.epsHigh.toFixed(2)}</output>
        </label>
        <input
          id={ids.eps}
          type="range"
          min={0.05}
          max={0.5}
          step={0.01}
          value={controls.epsHigh}
          disabled={!controls.clip}
          onChange={(e) => set({ epsHigh: Number(e.target.value) })}
        />
        <label htmlFor={ids.lr}>learning rate</label>
        <select id={ids.lr} value={controls.lr} onChange={(e) => set({ lr: Number(e.target.value) })}>
          {LEARNING_RATES.map((lr) => (
            <option key={lr} value={lr}>
              {lr}
            </option>
          ))}
        </select>
      </div>
      {summary && <SeedStrip summary={summary} />}
      <figcaption data-testid="toy-verdict">{verdict}</figcaption>
      <p className="learn-note">
        A toy, not the lab's models: 200 prompts whose style logit is a shared part plus a per-prompt part
        (45% of prompts at p(code) 0.9, 20% at 0.65, 20% at 0.35, 15% at 0.1), a random reward, 8 prompts × 16
        responses, 8 shuffled Adam updates per batch (ε_low 0.2), 150 steps, the same 40 seeds in every
        setting. Each dot is one seed's final greedy code share (green up, orange down). At learning rate 0.1
        the clip lifts the median, a tighter ε_high lifts it further, and without the clip or with one update
        per batch the median does not rise (without the clip the mean falls); at 0.03 and below nothing moves,
        because the updates of one batch never carry a ratio out of [1−ε, 1+ε].
      </p>
    </figure>
  );
}
