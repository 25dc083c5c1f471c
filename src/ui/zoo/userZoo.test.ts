// The user zoo store on fake-indexeddb: families survive a reopen (a reload), progress checkpoints keep
// their typed arrays and the record's step, a built model replaces the progress, delete removes all.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { ZooCard } from '../../tasks/zoo';
import { openUserZoo, type UserFamilyRecord } from './userZoo';
import { testBuildProgress, testFamilySpec } from './zooFixtures';

let dbCount = 0;
const freshName = () => `user-zoo-test-${dbCount++}`;

const spec = testFamilySpec;

const record = (name: string, createdAt: number): UserFamilyRecord => ({
  name,
  spec: { ...spec, name },
  status: 'building',
  createdAt,
  step: 0,
  card: null,
  message: null,
});

const progress = (step: number) => testBuildProgress(step);

describe('user zoo store', () => {
  it('keeps families and progress across a reopen, oldest first', async () => {
    const db = freshName();
    const store = await openUserZoo(indexedDB, db);
    await store.saveFamily(record('second', 2));
    await store.saveFamily(record('first', 1));
    await store.saveProgress('first', progress(4));
    store.close();

    const reopened = await openUserZoo(indexedDB, db);
    expect((await reopened.listFamilies()).map((f) => [f.name, f.step])).toEqual([
      ['first', 4],
      ['second', 0],
    ]);
    const loaded = await reopened.loadProgress('first');
    expect(loaded?.params).toBeInstanceOf(Float32Array);
    expect(Array.from(loaded?.params ?? [])).toEqual([1, 2, 4]);
    expect(loaded?.optimizer.step).toBe(4);
    expect(await reopened.loadProgress('second')).toBeNull();
    reopened.close();
  });

  it('a built model replaces the progress and marks the family built', async () => {
    const store = await openUserZoo(indexedDB, freshName());
    await store.saveFamily(record('my-family', 1));
    await store.saveProgress('my-family', progress(9));
    const card = { name: 'my-family', training: { steps: 10 } } as unknown as ZooCard;
    const files = {
      configJson: '{}',
      safetensorsBytes: new Uint8Array([1, 2, 3]),
      tokenizerJson: '{}',
      tokenizerConfigJson: '{}',
      generationConfigJson: '{}',
    };
    await store.saveBuilt('my-family', files, card);
    expect(await store.loadProgress('my-family')).toBeNull();
    const family = await store.getFamily('my-family');
    expect(family?.status).toBe('built');
    expect(family?.step).toBe(10);
    expect(family?.card?.name).toBe('my-family');
    const model = await store.loadModel('my-family');
    expect(Array.from(model?.files.safetensorsBytes ?? [])).toEqual([1, 2, 3]);

    await store.deleteFamily('my-family');
    expect(await store.getFamily('my-family')).toBeNull();
    expect(await store.loadModel('my-family')).toBeNull();
    store.close();
  });

  it('refuses progress or a model for a family it does not hold', async () => {
    const store = await openUserZoo(indexedDB, freshName());
    await expect(store.saveProgress('nobody', progress(1))).rejects.toThrow(/no family 'nobody'/);
    store.close();
  });

  it('says so when there is no IndexedDB', async () => {
    await expect(openUserZoo(null)).rejects.toThrow(/no IndexedDB/);
  });
});
