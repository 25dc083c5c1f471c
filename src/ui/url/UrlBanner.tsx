// The banner for a malformed experiment link: one line per bad field (name, URL key, value as given,
// why, and the default used instead). Values arrive already rendered inert by the codec's
// displayValue() and are shown as React text, so text typed into a URL can never run.
import { useLabStore } from '../store/labStore';

export function UrlBanner() {
  const errors = useLabStore((s) => s.urlErrors);
  const dismiss = useLabStore((s) => s.dismissUrlErrors);
  if (errors.length === 0) return null;
  return (
    <div className="notice notice--warn url-banner" role="alert" data-testid="url-banner">
      <div className="url-banner-head">
        <strong>
          This experiment link had {errors.length} problem{errors.length === 1 ? '' : 's'}; the lab opened
          with safe values instead.
        </strong>
        <button type="button" className="chip" onClick={dismiss} aria-label="Dismiss the link problems">
          Dismiss
        </button>
      </div>
      <table className="url-errors">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value in the link</th>
            <th scope="col">Problem</th>
            <th scope="col">Used instead</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((error, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the same field can be listed twice (duplicates)
            <tr key={i} data-testid="url-error" data-field={error.field}>
              <td>
                {error.field}
                {'urlKey' in error && error.urlKey && error.urlKey !== error.field
                  ? ` (${String(error.urlKey)})`
                  : ''}
              </td>
              <td>
                <code>{error.value}</code>
              </td>
              <td>{error.why}</td>
              <td>{error.defaultUsed ?? 'ignored'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
