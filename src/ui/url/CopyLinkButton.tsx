// "Copy link": the current experiment as a shareable URL on the clipboard, also shown in a read-only
// field (selectable by hand where the clipboard is blocked, and readable by tests).

import { useState } from 'react';
import { blockedReason } from '../store/experimentSlice';
import { useLabStore } from '../store/labStore';
import { currentExperimentUrl } from './hashSync';

export function CopyLinkButton() {
  const [link, setLink] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const blocked = useLabStore(blockedReason);
  const copy = async () => {
    // A link must describe what the page shows: not while a refused value is on screen.
    if (blockedReason(useLabStore.getState())) return;
    const url = currentExperimentUrl(useLabStore.getState());
    setLink(url);
    try {
      await navigator.clipboard.writeText(url);
      setNote('Copied');
    } catch {
      setNote('Select the link and copy it (the clipboard is blocked here)');
    }
  };
  return (
    <span className="copy-link">
      <button
        type="button"
        onClick={() => void copy()}
        disabled={blocked !== null}
        aria-keyshortcuts="L"
        title={blocked ?? 'Copy a link to this experiment (l)'}
      >
        Copy link
      </button>
      {link && (
        <>
          <input
            className="share-link"
            data-testid="share-link"
            readOnly
            value={link}
            aria-label="Experiment link"
            onFocus={(e) => e.currentTarget.select()}
          />
          <span className="copy-note" role="status">
            {note}
          </span>
        </>
      )}
    </span>
  );
}
