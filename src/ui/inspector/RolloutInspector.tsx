// The rollout inspector: the latest groups of the active run, each completion with its reward,
// advantage, extracted answer vs gold and style badge, code blocks highlighted; filters by style and
// reward. Model text is rendered as React text nodes only, never as HTML.
import { useShallow } from 'zustand/react/shallow';
import type { SampleCompletion, SampleGroup } from '../runTypes';
import { useLabStore } from '../store/labStore';
import type { RewardFilter, StyleFilter } from '../store/viewSlice';
import { splitBoxed, splitCompletion } from './completionParts';

const EMPTY: SampleGroup[] = [];

export function keepCompletion(c: SampleCompletion, style: StyleFilter, reward: RewardFilter): boolean {
  if (style !== 'all' && c.style !== style) return false;
  if (reward === 'rewarded' && !(c.reward > 0)) return false;
  if (reward === 'unrewarded' && c.reward > 0) return false;
  return true;
}

export function RolloutInspector() {
  const groups = useLabStore((s) => (s.activeRunId ? (s.series[s.activeRunId]?.samples ?? EMPTY) : EMPTY));
  const { styleFilter, rewardFilter, setStyleFilter, setRewardFilter } = useLabStore(
    useShallow((s) => ({
      styleFilter: s.styleFilter,
      rewardFilter: s.rewardFilter,
      setStyleFilter: s.setStyleFilter,
      setRewardFilter: s.setRewardFilter,
    })),
  );
  const shown = groups.map((g) => ({
    group: g,
    completions: g.completions.filter((c) => keepCompletion(c, styleFilter, rewardFilter)),
  }));
  const total = shown.reduce((n, g) => n + g.completions.length, 0);

  return (
    <section className="inspector" aria-label="Rollout inspector" data-testid="rollout-inspector">
      <header className="inspector-head">
        <h2>Rollouts{groups.length ? ` · step ${groups[0].step}` : ''}</h2>
        <label>
          Style
          <select value={styleFilter} onChange={(e) => setStyleFilter(e.target.value as StyleFilter)}>
            <option value="all">all</option>
            <option value="code">code</option>
            <option value="language">language</option>
            <option value="direct">direct</option>
          </select>
        </label>
        <label>
          Reward
          <select value={rewardFilter} onChange={(e) => setRewardFilter(e.target.value as RewardFilter)}>
            <option value="all">all</option>
            <option value="rewarded">rewarded (&gt; 0)</option>
            <option value="unrewarded">not rewarded</option>
          </select>
        </label>
        <span className="inspector-count">{total} shown</span>
      </header>
      {groups.length === 0 ? (
        <p className="inspector-empty">Completions of the latest rollout batch appear here during a run.</p>
      ) : (
        shown.map(({ group, completions }) => (
          <GroupView key={`${group.step}-${group.promptIndex}`} group={group} completions={completions} />
        ))
      )}
    </section>
  );
}

function GroupView({ group, completions }: { group: SampleGroup; completions: SampleCompletion[] }) {
  return (
    <article className="group">
      <p className="group-prompt">
        <span className="group-label">Prompt</span> {group.question}{' '}
        <span className="gold">gold {group.gold}</span>
      </p>
      {completions.length === 0 && (
        <p className="inspector-empty">No completion of this group matches the filters.</p>
      )}
      <ol className="completions">
        {completions.map((c, i) => (
          // Completions have no id; their position in the group is their identity for this step.
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed order within a rollout group
          <CompletionView key={i} completion={c} gold={group.gold} />
        ))}
      </ol>
    </article>
  );
}

function CompletionView({ completion, gold }: { completion: SampleCompletion; gold: string }) {
  const { reward, advantage, extracted, correct, style, truncated } = completion;
  return (
    <li className="completion" data-testid="completion" data-style={style}>
      <div className="completion-meta">
        <span className={`badge badge--${style}`}>{style}</span>
        <span className="metric" title="Reward from the configured reward function">
          reward <strong>{formatSigned(reward)}</strong>
        </span>
        <span className="metric" title="Group-normalised advantage (r - mean) / (std + eps)">
          advantage <strong>{formatSigned(advantage)}</strong>
        </span>
        <span className={`answer ${correct ? 'answer--right' : 'answer--wrong'}`}>
          {correct ? '✓' : '✗'} answer {extracted ?? 'none'} vs gold {gold}
        </span>
        {truncated && <span className="badge badge--truncated">truncated</span>}
      </div>
      <pre className="completion-text">
        <CompletionText text={completion.text} />
      </pre>
    </li>
  );
}

/** The completion with code blocks and \boxed{} answers marked up, as text nodes only. */
function CompletionText({ text }: { text: string }) {
  const nodes: React.ReactNode[] = [];
  let offset = 0; // character offset of each piece: a stable key within an immutable string
  for (const part of splitCompletion(text)) {
    if (part.kind === 'code') {
      nodes.push(
        <code
          key={offset}
          className={`code-block code-block--${part.language || 'plain'}`}
          data-language={part.language}
        >
          {part.text}
        </code>,
      );
      offset += part.text.length + 1;
      continue;
    }
    for (const piece of splitBoxed(part.text)) {
      nodes.push(
        piece.boxed ? <mark key={offset}>{piece.text}</mark> : <span key={offset}>{piece.text}</span>,
      );
      offset += piece.text.length;
    }
  }
  return <>{nodes}</>;
}

function formatSigned(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return `${value > 0 ? '+' : ''}${value.toFixed(2)}`;
}
