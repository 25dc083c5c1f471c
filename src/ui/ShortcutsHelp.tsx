// The keyboard-shortcut list, opened with "?" or the header button.
import { SHORTCUTS } from './shortcuts';

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="shortcuts-help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts">
      <h2>Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map((s) => (
          <div key={s.keys}>
            <dt>
              <kbd>{s.keys}</kbd>
            </dt>
            <dd>{s.what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
