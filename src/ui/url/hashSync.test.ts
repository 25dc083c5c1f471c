// Unit tests of the URL-hash sync against a minimal fake window: the page's hash loads into the store
// (problems listed), edits rewrite the hash in place, and a followed link (hashchange) loads its config.
import { describe, expect, it } from 'vitest';
import { createLabStore } from '../store/labStore';
import { startHashSync } from './hashSync';

function fakeWindow(hash: string) {
  const listeners = new Map<string, () => void>();
  const replaced: string[] = [];
  const win = {
    location: { hash, href: `http://lab.test/${hash}` },
    history: {
      state: null,
      replaceState: (_state: unknown, _title: string, url: string) => {
        replaced.push(url);
        win.location.href = url;
        win.location.hash = url.slice(url.indexOf('#'));
      },
    },
    addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
    removeEventListener: (type: string) => listeners.delete(type),
  };
  return { win: win as unknown as Window, replaced, listeners, location: win.location };
}

describe('hash sync', () => {
  it('opens the config in the hash, with each bad field listed', () => {
    const store = createLabStore();
    const { win, replaced } = fakeWindow('#v=1&reward=random&gamma=0.3&group=abc&seed=9');
    startHashSync(store, win);
    const { config, urlErrors } = store.getState();
    expect(config.reward).toBe('random');
    expect(config.gamma).toBe(0.3);
    expect(config.seed).toBe(9);
    expect(config.groupSize).toBe(16);
    expect(urlErrors.map((e) => e.field)).toEqual(['groupSize']);
    // The address bar shows what was loaded (the banner keeps the refused text), not group=abc.
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).not.toContain('group=abc');
    expect(replaced[0]).toContain('gamma=0.3');
    expect(replaced[0]).toContain('seed=9');
  });

  it('leaves a valid link as it was opened', () => {
    const store = createLabStore();
    const { win, replaced } = fakeWindow('#v=1&reward=random&gamma=0.3&seed=9');
    startHashSync(store, win);
    expect(store.getState().urlErrors).toEqual([]);
    expect(replaced).toEqual([]);
  });

  it('writes edits into the hash and loads a followed link', () => {
    const store = createLabStore();
    const fake = fakeWindow('');
    const stop = startHashSync(store, fake.win);
    expect(store.getState().setField('groupSize', '8')).toBeNull();
    expect(fake.replaced).toHaveLength(1);
    expect(fake.replaced[0]).toMatch(/^http:\/\/lab\.test\/#v=1&.*group=8/);

    fake.location.hash = '#v=1&reward=format&seed=2';
    fake.listeners.get('hashchange')!();
    expect(store.getState().config.reward).toBe('format');
    expect(store.getState().config.groupSize).toBe(16);
    expect(fake.replaced).toHaveLength(1); // loading a link is not an edit
    stop();
    expect(fake.listeners.has('hashchange')).toBe(false);
  });
});
