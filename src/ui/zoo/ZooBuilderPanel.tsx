// "Build a family": the lab's zoo builder. The user starts from a shipped family's corpus knobs (code
// share per kind of problem, how the other answers split, per-style correctness), names the family, picks steps and seed, and builds it in a Web
// Worker with a progress bar, loss, tokens/s and ETA, pause and stop. Built families are listed with
// their measured card and can be downloaded as Hugging Face files; interrupted builds resume.

import { useEffect, useMemo, useState } from 'react';
import type { BackendChoice } from '../../engine/backendRule';
import { CHECKPOINT_FILE_NAMES } from '../../model/checkpoint';
import {
  CORRECTNESS_STYLES,
  FAMILY_NAMES,
  FAMILY_PRESETS,
  type FamilyName,
  OTHER_STYLES,
} from '../../tasks/corpus';
import { type FamilySpec, familySpecProblems } from '../../tasks/familyBuild';
import { DEFAULT_GENERATOR_OPTIONS, PROBLEM_KIND_LABELS, PROBLEM_KINDS } from '../../tasks/minimath';
import type { ZooCard } from '../../tasks/zoo';
import { downloadBlob } from '../downloads/chartImage';
import { formatDuration } from '../formatDuration';
import { useLabRuntime } from '../store/runtimeStore';
import { displayStatus, useZooStore } from '../store/zooStore';
import { loadBuiltModel, type UserFamilyRecord } from './userZoo';
import './zoo.css';

export function specFromPreset(preset: FamilyName, name: string): FamilySpec {
  const knobs = FAMILY_PRESETS[preset].knobs;
  return {
    name,
    basedOn: preset,
    knobs: {
      codeShare: { ...knobs.codeShare },
      otherStyles: { ...knobs.otherStyles },
      correctness: { ...knobs.correctness },
      generator: { ...DEFAULT_GENERATOR_OPTIONS, levelWeights: [...knobs.generator.levelWeights] },
    },
    steps: 600,
    seed: 1,
    batchSize: 8,
    peakLr: 3e-3,
    evalProblems: 100,
    evalSamples: 2,
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

function NumberField(props: {
  label: string;
  /** Longer explanation, shown on hover and read by screen readers. */
  title?: string;
  value: number;
  step?: number;
  onChange: (value: number) => void;
}) {
  return (
    <label className="zoo-field" title={props.title}>
      <span>{props.label}</span>
      <input
        type="number"
        value={Number.isNaN(props.value) ? '' : props.value}
        step={props.step ?? 1}
        onChange={(e) => props.onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
      />
    </label>
  );
}

async function downloadFamily(name: string): Promise<void> {
  const model = await loadBuiltModel(name);
  if (!model) return;
  const { files, card } = model;
  const json = (text: string) => new Blob([text], { type: 'application/json' });
  downloadBlob(json(files.configJson), CHECKPOINT_FILE_NAMES.config);
  downloadBlob(
    new Blob([files.safetensorsBytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
    CHECKPOINT_FILE_NAMES.weights,
  );
  downloadBlob(json(files.tokenizerJson), CHECKPOINT_FILE_NAMES.tokenizer);
  downloadBlob(json(files.tokenizerConfigJson), CHECKPOINT_FILE_NAMES.tokenizerConfig);
  downloadBlob(json(files.generationConfigJson), CHECKPOINT_FILE_NAMES.generationConfig);
  downloadBlob(json(`${JSON.stringify(card, null, 2)}\n`), CHECKPOINT_FILE_NAMES.card);
}

function CardSummary({ card }: { card: ZooCard }) {
  const s = card.eval.sampled;
  return (
    <dl className="zoo-card" data-testid="zoo-card">
      <dt>code frequency</dt>
      <dd>{pct(s.codeFrequency)}</dd>
      <dt>accuracy (code / language-only)</dt>
      <dd>
        {pct(s.accuracy)} ({pct(s.codeAccuracy)} / {pct(s.languageOnlyAccuracy)})
      </dd>
      <dt>greedy accuracy (forced code / language)</dt>
      <dd>
        {pct(card.eval.greedy.accuracy)} ({pct(card.eval.greedyForcedStyle.code)} /{' '}
        {pct(card.eval.greedyForcedStyle.language)})
      </dd>
      <dt>measured on</dt>
      <dd>
        {card.eval.set}, {s.samples} samples each
      </dd>
      <dt>training</dt>
      <dd>
        {card.training.steps} steps, {(card.training.processedTokens / 1e6).toFixed(2)}M tokens, loss{' '}
        {card.training.finalLoss.toFixed(3)}, {card.training.engine},{' '}
        {formatDuration(card.training.wallSeconds)}
      </dd>
    </dl>
  );
}

function FamilyRow({ record, backend }: { record: UserFamilyRecord; backend: BackendChoice }) {
  const active = useZooStore((s) => s.active);
  const builds = useLabRuntime().buildController;
  const status = displayStatus(record, active);
  const busy = active !== null;
  return (
    <li className="zoo-family" data-testid={`zoo-family-${record.name}`}>
      <div className="zoo-family__head">
        <strong>{record.name}</strong>
        <span className="zoo-status" data-testid="zoo-family-status">
          {status}
        </span>
        <span>
          step {record.step}/{record.spec.steps}
        </span>
      </div>
      {record.message && <p className="zoo-message">{record.message}</p>}
      {record.card && <CardSummary card={record.card} />}
      <div className="zoo-actions">
        {record.status === 'built' && (
          <button type="button" onClick={() => void downloadFamily(record.name)}>
            Download HF files
          </button>
        )}
        {record.status !== 'built' && !busy && (
          <button type="button" onClick={() => void builds?.resume(record.name, backend)}>
            Resume build
          </button>
        )}
        <button
          type="button"
          disabled={active?.name === record.name}
          onClick={() => void builds?.remove(record.name)}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

function BuildProgressView() {
  const active = useZooStore((s) => s.active);
  const builds = useLabRuntime().buildController;
  if (!active) return null;
  const r = active.report;
  const evaluating = active.phase === 'evaluating' || active.phase === 'saving';
  const value = evaluating ? active.evalDone : (r?.step ?? 0);
  const max = evaluating ? Math.max(1, active.evalTotal) : (r?.totalSteps ?? 1);
  return (
    <section className="zoo-progress" aria-label="Build progress" data-testid="zoo-progress">
      <p>
        Building <strong>{active.name}</strong>: {active.phase}
        {active.backend ? ` on ${active.backend}` : ''}
      </p>
      {active.notice && <p className="zoo-message">{active.notice}</p>}
      <progress value={value} max={max} aria-label={evaluating ? 'measuring' : 'pretraining'} />
      <p data-testid="zoo-progress-text">
        {evaluating
          ? `measuring the card: pass ${active.evalDone}/${active.evalTotal}`
          : r
            ? `step ${r.step}/${r.totalSteps} · loss ${r.lossEma.toFixed(4)} · ${(r.tokensPerSecond / 1000).toFixed(2)}k tok/s · ETA ${formatDuration(r.etaSeconds)}`
            : 'starting…'}
      </p>
      <div className="zoo-actions">
        {active.phase === 'paused' ? (
          <button type="button" onClick={() => builds?.unpause()}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => builds?.pause()} disabled={active.phase !== 'training'}>
            Pause
          </button>
        )}
        <button type="button" onClick={() => builds?.stop()} disabled={evaluating}>
          Stop (keeps progress)
        </button>
      </div>
    </section>
  );
}

export function ZooBuilderPanel() {
  const families = useZooStore((s) => s.families);
  const active = useZooStore((s) => s.active);
  const error = useZooStore((s) => s.error);
  const builds = useLabRuntime().buildController;
  const [preset, setPreset] = useState<FamilyName>('qwen-math-tiny');
  const [spec, setSpec] = useState<FamilySpec>(() => specFromPreset('qwen-math-tiny', 'my-family'));
  const [backend, setBackend] = useState<BackendChoice>('auto');
  useEffect(() => {
    void builds?.refresh();
  }, [builds]);
  const problems = useMemo(() => familySpecProblems(spec), [spec]);
  const otherTotal = OTHER_STYLES.reduce((s, style) => s + (spec.knobs.otherStyles[style] || 0), 0);
  const update = (patch: Partial<FamilySpec>) => setSpec((s) => ({ ...s, ...patch }));

  return (
    <div className="zoo-builder" data-testid="zoo-builder">
      <h2>Build a family</h2>
      <p className="zoo-hint">
        Pretrain your own tiny model on a MiniMath corpus with the code share per kind of problem and
        per-style correctness you choose, on this device (WebGPU, or the CPU engine), then measure its card on
        MiniMath-500.
      </p>
      <form
        className="zoo-form"
        onSubmit={(e) => {
          e.preventDefault();
          void builds?.start(spec, backend);
        }}
      >
        <label className="zoo-field">
          <span>start from</span>
          <select
            value={preset}
            onChange={(e) => {
              const next = e.target.value as FamilyName;
              setPreset(next);
              setSpec((s) => ({ ...specFromPreset(next, s.name), steps: s.steps, seed: s.seed }));
            }}
          >
            {FAMILY_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="zoo-field">
          <span>family name</span>
          <input type="text" value={spec.name} onChange={(e) => update({ name: e.target.value.trim() })} />
        </label>
        <fieldset>
          <legend>p(code) by kind of problem</legend>
          {PROBLEM_KINDS.map((kind) => (
            <NumberField
              key={kind}
              label={kind}
              title={PROBLEM_KIND_LABELS[kind]}
              value={spec.knobs.codeShare[kind]}
              step={0.01}
              onChange={(v) =>
                update({ knobs: { ...spec.knobs, codeShare: { ...spec.knobs.codeShare, [kind]: v } } })
              }
            />
          ))}
        </fieldset>
        <fieldset>
          <legend>answers without code (weights, normalised)</legend>
          {OTHER_STYLES.map((style) => (
            <NumberField
              key={style}
              label={`${style} (${otherTotal > 0 ? pct((spec.knobs.otherStyles[style] || 0) / otherTotal) : '--'})`}
              value={spec.knobs.otherStyles[style]}
              step={0.01}
              onChange={(v) =>
                update({ knobs: { ...spec.knobs, otherStyles: { ...spec.knobs.otherStyles, [style]: v } } })
              }
            />
          ))}
        </fieldset>
        <fieldset>
          <legend>per-style correctness</legend>
          {CORRECTNESS_STYLES.map((style) => (
            <NumberField
              key={style}
              label={style}
              value={spec.knobs.correctness[style]}
              step={0.01}
              onChange={(v) =>
                update({ knobs: { ...spec.knobs, correctness: { ...spec.knobs.correctness, [style]: v } } })
              }
            />
          ))}
        </fieldset>
        <fieldset>
          <legend>training and measurement</legend>
          <NumberField label="steps" value={spec.steps} onChange={(v) => update({ steps: v })} />
          <NumberField label="seed" value={spec.seed} onChange={(v) => update({ seed: v })} />
          <NumberField
            label="eval problems"
            value={spec.evalProblems}
            onChange={(v) => update({ evalProblems: v })}
          />
          <NumberField
            label="samples per problem"
            value={spec.evalSamples}
            onChange={(v) => update({ evalSamples: v })}
          />
          <label className="zoo-field">
            <span>engine</span>
            <select value={backend} onChange={(e) => setBackend(e.target.value as BackendChoice)}>
              <option value="auto">auto (WebGPU if present)</option>
              <option value="webgpu">WebGPU</option>
              <option value="cpu">CPU engine</option>
            </select>
          </label>
        </fieldset>
        {problems.length > 0 && (
          <ul className="zoo-problems" role="alert" data-testid="zoo-problems">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <button type="submit" disabled={problems.length > 0 || active !== null || !builds}>
          Build
        </button>
      </form>
      {error && (
        <p className="zoo-message zoo-message--error" role="alert">
          {error}
        </p>
      )}
      <BuildProgressView />
      <h3>Your families</h3>
      {families.length === 0 ? (
        <p className="zoo-hint">None yet.</p>
      ) : (
        <ul className="zoo-families">
          {families.map((record) => (
            <FamilyRow key={record.name} record={record} backend={backend} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** The header button that opens the builder as a drawer (kept out of the side panel's tabs). */
export function ZooBuilderLauncher() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Build a family
      </button>
      {open && (
        <aside className="zoo-drawer" aria-label="Build a family">
          <button type="button" className="zoo-drawer__close" onClick={() => setOpen(false)}>
            Close
          </button>
          <ZooBuilderPanel />
        </aside>
      )}
    </>
  );
}
