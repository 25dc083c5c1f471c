// The chosen model family's card (public/models/<family>/card.json, measured by the zoo builder):
// its measured code frequency and accuracy with and without code, so users see the prior they train.
import { useEffect, useState } from 'react';

type CardState = { state: 'loading' } | { state: 'missing'; why: string } | { state: 'ready'; card: unknown };

/** Reads a number at any of the given paths in the card (the card format belongs to the zoo builder). */
function pick(card: unknown, paths: string[]): number | null {
  for (const path of paths) {
    let node: unknown = card;
    for (const part of path.split('.')) node = (node as Record<string, unknown> | null)?.[part];
    if (typeof node === 'number' && Number.isFinite(node)) return node;
  }
  return null;
}

const CARD_FIGURES: { label: string; paths: string[] }[] = [
  {
    label: 'code frequency',
    paths: ['measured.codeFrequency', 'codeFrequency', 'measured.greedy.codeFrequency'],
  },
  {
    label: 'accuracy',
    paths: ['measured.accuracy', 'measured.greedyAccuracy', 'accuracy', 'greedyAccuracy'],
  },
  {
    label: 'accuracy with code',
    paths: ['measured.accuracyWithCode', 'accuracyWithCode', 'measured.greedy.accuracyWithCode'],
  },
  {
    label: 'accuracy language-only',
    paths: ['measured.accuracyLanguageOnly', 'accuracyLanguageOnly', 'measured.greedy.accuracyLanguageOnly'],
  },
];

export function ModelCard({ family }: { family: string }) {
  const [card, setCard] = useState<CardState>({ state: 'loading' });
  useEffect(() => {
    let cancelled = false;
    setCard({ state: 'loading' });
    fetch(`models/${encodeURIComponent(family)}/card.json`)
      .then(async (response) => {
        // A dev server answers a missing file with the page itself, so check the type as well as the status.
        const isJson = (response.headers.get('content-type') ?? '').includes('json');
        if (!response.ok || !isJson) throw new Error(`no card published for "${family}" yet`);
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
  }, [family]);

  if (card.state === 'loading') return <p className="model-card model-card--muted">Loading model card…</p>;
  if (card.state === 'missing')
    return (
      <p className="model-card model-card--muted" data-testid="model-card">
        Model card unavailable: {card.why}.
      </p>
    );
  const figures = CARD_FIGURES.map((f) => ({ label: f.label, value: pick(card.card, f.paths) })).filter(
    (f) => f.value !== null,
  );
  return (
    <dl className="model-card" data-testid="model-card">
      {figures.length === 0 && <dd>The card has no measured figures yet.</dd>}
      {figures.map((f) => (
        <div key={f.label} className="model-card-figure">
          <dt>{f.label}</dt>
          <dd>{(f.value! * (f.value! <= 1 ? 100 : 1)).toFixed(1)}%</dd>
        </div>
      ))}
    </dl>
  );
}
