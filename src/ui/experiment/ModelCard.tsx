// The chosen model family's card (public/models/<family>/card.json, a ZooCard measured by the zoo
// builder): what it imitates, its size, its measured code frequency and accuracy with and without code,
// so users see the prior they are about to train.
import { useEffect, useState } from 'react';

type CardState = { state: 'loading' } | { state: 'missing'; why: string } | { state: 'ready'; card: unknown };

/** Reads a number at a dotted path of the card, or null (cards come over the network: trust nothing). */
function pick(card: unknown, path: string): number | null {
  let node: unknown = card;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | null)?.[part];
  return typeof node === 'number' && Number.isFinite(node) ? node : null;
}

/** The figures of a ZooCard (src/tasks/zoo.ts) worth seeing before training: the prior being trained. */
const CARD_FIGURES: { label: string; path: string }[] = [
  { label: 'greedy code', path: 'eval.greedy.codeFrequency' },
  { label: 'p(code), mean', path: 'eval.styleDecision.meanPCode' },
  { label: 'p(code) > 0.85', path: 'eval.styleDecision.above085' },
  { label: 'p(code) < 0.3', path: 'eval.styleDecision.below03' },
  { label: 'greedy accuracy', path: 'eval.greedy.accuracy' },
  { label: 'code (sampled)', path: 'eval.sampled.codeFrequency' },
  { label: 'right with code', path: 'eval.greedyForcedStyle.code' },
  { label: 'right in prose', path: 'eval.greedyForcedStyle.language' },
];

/**
 * `localCard`: the card of a family built in this browser (IndexedDB), shown without a fetch; shipped
 * families fetch public/models/<family>/card.json.
 */
export function ModelCard({ family, localCard = null }: { family: string; localCard?: unknown }) {
  const [card, setCard] = useState<CardState>({ state: 'loading' });
  useEffect(() => {
    if (localCard !== null) {
      setCard({ state: 'ready', card: localCard });
      return;
    }
    let cancelled = false;
    setCard({ state: 'loading' });
    fetch(`models/${encodeURIComponent(family)}/card.json`)
      .then(async (response) => {
        // A dev server answers a missing file with the page itself, so check the type as well as the status.
        const isJson = (response.headers.get('content-type') ?? '').includes('json');
        if (!response.ok || !isJson)
          throw new Error(
            `no card published for "${family}": not a shipped family, and not one built in this browser`,
          );
        const parsed: unknown = await response.json();
        if (!cancelled) setCard({ state: 'ready', card: parsed });
      })
      .catch((err: unknown) => {
        if (!cancelled)
          setCard({
            state: 'missing',
            why:
              err instanceof SyntaxError
                ? 'the card is not valid JSON'
                : String((err as Error).message ?? err),
          });
      });
    return () => {
      cancelled = true;
    };
  }, [family, localCard]);

  if (card.state === 'loading') return <p className="model-card model-card--muted">Loading model card…</p>;
  if (card.state === 'missing')
    return (
      <p className="model-card model-card--muted" data-testid="model-card">
        Model card unavailable: {card.why}.
      </p>
    );
  const figures = CARD_FIGURES.map((f) => ({ label: f.label, value: pick(card.card, f.path) })).filter(
    (f) => f.value !== null,
  );
  const like = (card.card as { like?: unknown }).like;
  const parameters = pick(card.card, 'model.parameters');
  return (
    <dl className="model-card" data-testid="model-card">
      {typeof like === 'string' && (
        <div className="model-card-figure model-card-like">
          <dt>like</dt>
          <dd>{like}</dd>
        </div>
      )}
      {parameters !== null && (
        <div className="model-card-figure">
          <dt>parameters</dt>
          <dd>{parameters.toLocaleString('en')}</dd>
        </div>
      )}
      {figures.length === 0 && <dd>The card has no measured figures yet.</dd>}
      {figures.map((f) => (
        <div key={f.label} className="model-card-figure">
          <dt>{f.label}</dt>
          <dd>{(f.value! * 100).toFixed(1)}%</dd>
        </div>
      ))}
    </dl>
  );
}
