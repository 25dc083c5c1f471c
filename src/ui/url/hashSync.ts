// Keeps the experiment and the URL hash in step, Playground style: the page opens the config in the
// hash (problems go to the banner), edits rewrite the hash in place (replaceState: no history spam),
// and following a preset link or editing the address bar (hashchange) loads that experiment.
import type { StoreApi } from 'zustand';
import { experimentUrl, parseExperimentHash } from '../../experiment/url';
import type { LabState } from '../store/labStore';

/** The shareable URL of the store's current config (hidden controls stay hidden for the next viewer). */
export function currentExperimentUrl(
  state: Pick<LabState, 'config' | 'hiddenKeys'>,
  base = location.href,
): string {
  return experimentUrl(base, state.config, { hidden: state.hiddenKeys });
}

/** Loads the config in `hash` into the store; errors replace the banner's list. */
export function loadHashIntoStore(store: StoreApi<LabState>, hash: string): void {
  const parsed = parseExperimentHash(hash);
  store.getState().loadConfig(parsed.config, parsed.errors, parsed.hidden);
}

/** Starts syncing; returns the function that stops it. */
export function startHashSync(store: StoreApi<LabState>, win: Window = window): () => void {
  let applyingHash = false;
  const fromHash = () => {
    applyingHash = true;
    loadHashIntoStore(store, win.location.hash);
    applyingHash = false;
    // A link with problems: the banner lists them, and the address bar shows the experiment that was
    // actually loaded (what Copy link would share), not the refused text.
    if (store.getState().urlErrors.length > 0)
      win.history.replaceState(
        win.history.state,
        '',
        currentExperimentUrl(store.getState(), win.location.href),
      );
  };
  // An empty hash means "defaults": leave the address bar clean until the user changes something.
  if (win.location.hash.length > 1) fromHash();
  const unsubscribe = store.subscribe((state, previous) => {
    if (applyingHash || state.config === previous.config) return;
    win.history.replaceState(win.history.state, '', currentExperimentUrl(state, win.location.href));
  });
  win.addEventListener('hashchange', fromHash);
  return () => {
    unsubscribe();
    win.removeEventListener('hashchange', fromHash);
  };
}
