// A refused value stays on screen and blocks Play, Step and Copy link with the reason until it is fixed
// or another experiment is loaded; Play asks before a new run over an hour, never before a resume.
import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../../experiment/config/fields';
import { playIfSensible } from '../run/RunBar';
import { blockedReason } from './experimentSlice';
import { createLabStore } from './labStore';

describe('refused values', () => {
  it('block with the field, the text on screen and why; a valid value or a load clears them', () => {
    const store = createLabStore();
    expect(blockedReason(store.getState())).toBeNull();
    const why = store.getState().setField('groupSize', '1');
    expect(why).not.toBeNull();
    expect(store.getState().config.groupSize).toBe(16);
    expect(blockedReason(store.getState())).toMatch(/^Fix this field first — .*"1": /);
    store.getState().setField('temperature', '1000');
    expect(blockedReason(store.getState())).toMatch(/^Fix these 2 fields first/);
    expect(store.getState().setField('groupSize', '8')).toBeNull();
    expect(store.getState().config.groupSize).toBe(8);
    expect(blockedReason(store.getState())).toMatch(/^Fix this field first — .*"1000"/);
    store.getState().loadConfig(defaultExperiment());
    expect(blockedReason(store.getState())).toBeNull();
  });
});

describe('playIfSensible', () => {
  const controller = () => {
    const played: unknown[] = [];
    return { played, play: async (c: unknown) => void played.push(c) };
  };

  it('does not play while a refused value is on screen', () => {
    const store = createLabStore();
    store.getState().setField('groupSize', '1');
    const c = controller();
    playIfSensible(c, store.getState(), () => true);
    expect(c.played).toHaveLength(0);
  });

  it('asks before a new run over an hour and respects the answer; short runs just start', () => {
    const store = createLabStore();
    const c = controller();
    const asked: string[] = [];
    const refuse = (question: string) => {
      asked.push(question);
      return false;
    };
    playIfSensible(c, store.getState(), refuse);
    expect(asked).toHaveLength(0);
    expect(c.played).toHaveLength(1);
    store.getState().setField('steps', '999999');
    playIfSensible(c, store.getState(), refuse);
    expect(asked[0]).toMatch(/would take about \d+ days on this device/);
    expect(c.played).toHaveLength(1);
    playIfSensible(c, store.getState(), () => true);
    expect(c.played).toHaveLength(2);
  });
});
