// One experiment knob rendered from its field spec: the right input for its type, its one-line help,
// the paper's value, and — when the typed value is refused — the reason, next to the control.
import { useEffect, useId, useState } from 'react';
import { formatFieldValue } from '../../experiment/config/display';
import type { ExperimentConfig, FieldSpec } from '../../experiment/config/schema';
import { useLabStore } from '../store/labStore';

interface FieldControlProps {
  spec: FieldSpec;
  config: ExperimentConfig;
  disabled: boolean;
  /** More ids to suggest after the schema's own (e.g. families built in this browser). */
  extraSuggestions?: readonly string[];
}

export function FieldControl({ spec, config, disabled, extraSuggestions = [] }: FieldControlProps) {
  const setField = useLabStore((s) => s.setField);
  // A refused value lives in the store, so Play and Copy link know it is on screen (and refuse too).
  const stored = useLabStore((s) => s.fieldProblems[spec.key]);
  const problem = stored?.why ?? null;
  const value = config[spec.key];
  const shown = formatFieldValue(spec, value);
  // The text being typed is kept apart from the config: a half-typed "0." must not be refused mid-word.
  const [draft, setDraft] = useState(stored?.text ?? shown);
  const id = useId();
  useEffect(() => {
    setDraft(useLabStore.getState().fieldProblems[spec.key]?.text ?? shown);
  }, [shown, spec.key]);
  const relevant = spec.relevant ? spec.relevant(config) : true;
  const apply = (raw: unknown) => setField(spec.key, raw);

  let input: React.ReactNode;
  if (spec.type === 'bool') {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={Boolean(value)}
        disabled={disabled}
        onChange={(e) => apply(e.target.checked)}
      />
    );
  } else if (spec.type === 'enum') {
    input = (
      <select id={id} value={String(value)} disabled={disabled} onChange={(e) => apply(e.target.value)}>
        {spec.values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  } else {
    const listId = spec.type === 'id' ? `${id}-suggestions` : undefined;
    input = (
      <>
        <input
          id={id}
          type="text"
          inputMode={spec.type === 'id' ? 'text' : 'decimal'}
          list={listId}
          value={draft}
          disabled={disabled}
          aria-invalid={problem !== null}
          aria-describedby={problem ? `${id}-problem` : `${id}-help`}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => apply(draft)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') apply(draft);
          }}
          title={spec.type !== 'id' ? rangeText(spec) : undefined}
        />
        {spec.type === 'id' && (
          <datalist id={listId}>
            {[...new Set([...spec.suggestions, ...extraSuggestions])].map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        )}
      </>
    );
  }

  return (
    <div className={`field${relevant ? '' : ' field--irrelevant'}`} data-field={spec.key}>
      <label htmlFor={id} className="field-label">
        {spec.label}
      </label>
      <div className="field-input">{input}</div>
      <p className="field-help" id={`${id}-help`}>
        {spec.help} <span className="field-paper">Paper: {spec.paper}</span>
        {!relevant && <span className="field-unused"> (not used by this config)</span>}
      </p>
      {problem && (
        <p className="field-problem" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

function rangeText(spec: FieldSpec): string | undefined {
  if (spec.type !== 'int' && spec.type !== 'float') return undefined;
  return `${spec.minExclusive ? '>' : '≥'} ${spec.min}, ≤ ${spec.max}`;
}
