// Keyboard shortcuts for the lab (listed in the help dialog and docs/ui.md). Ignored while
// typing in a field, so "s" in a number box never starts a step.
export interface ShortcutActions {
  playPause: () => void;
  step: () => void;
  reset: () => void;
  copyLink: () => void;
  toggleProjector: () => void;
  showPanel: (panel: 'experiment' | 'presets' | 'learn' | 'runs' | 'tools') => void;
  toggleHelp: () => void;
}

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'Space', what: 'play / pause' },
  { keys: 's', what: 'run one step' },
  { keys: 'r', what: 'reset' },
  { keys: 'l', what: 'copy the experiment link' },
  { keys: 'p', what: 'projector mode (large type)' },
  { keys: '1 2 3 4 5', what: 'experiment, presets, learn, runs, tools panel' },
  { keys: '?', what: 'show these shortcuts' },
];

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  if (target.isContentEditable || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'range', 'button', 'submit'].includes(type);
}

/** Maps a keydown to an action; returns true when it handled the key. */
export function handleShortcut(event: KeyboardEvent, actions: ShortcutActions): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || isTypingTarget(event.target)) return false;
  // Space on a focused button activates that button; only take it when no control has focus.
  if (
    event.key === ' ' &&
    event.target instanceof HTMLElement &&
    event.target.closest('button, a, summary, input, select')
  )
    return false;
  const panels = { '1': 'experiment', '2': 'presets', '3': 'learn', '4': 'runs', '5': 'tools' } as const;
  switch (event.key) {
    case ' ':
      actions.playPause();
      return true;
    case 's':
      actions.step();
      return true;
    case 'r':
      actions.reset();
      return true;
    case 'l':
      actions.copyLink();
      return true;
    case 'p':
      actions.toggleProjector();
      return true;
    case '?':
      actions.toggleHelp();
      return true;
    default:
      if (event.key in panels) {
        actions.showPanel(panels[event.key as keyof typeof panels]);
        return true;
      }
      return false;
  }
}
