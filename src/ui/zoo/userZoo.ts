// The user's own zoo families, kept in IndexedDB so they survive reloads: each family's record (spec,
// status, measured card), its latest progress checkpoint while it builds (so a reload can resume it) and,
// once built, its checkpoint files (config.json, model.safetensors, tokenizer files). A database of its
// own, separate from the run store (src/experiment/persistence.ts), so neither has to migrate the other.
// Plain IndexedDB behind a small promise API; tests drive it with fake-indexeddb.

import type { BackendChoice } from '../../engine/backendRule';
import type { CheckpointFiles } from '../../model/checkpoint';
import { type LegacyCorpusKnobs, upgradeCorpusKnobs } from '../../tasks/corpus';
import type { BuildProgress, FamilySpec } from '../../tasks/familyBuild';
import type { ZooCard } from '../../tasks/zoo';
import { requestToPromise, writeTransaction } from '../../util/indexedDb';

export type FamilyStatus = 'building' | 'paused' | 'built' | 'error';

export interface UserFamilyRecord {
  name: string;
  spec: FamilySpec;
  status: FamilyStatus;
  createdAt: number;
  /** Steps done (from the latest progress checkpoint, or the finished build). */
  step: number;
  card: ZooCard | null;
  message: string | null;
  /** The engine the user chose; a resumed build keeps it (a reload must not switch engines silently). */
  backend?: BackendChoice;
}

/**
 * A record saved before zoo v2 holds a global style prior; it reads as the same code share for every
 * kind of problem. (A paused old build resumed this way draws different batches from then on.)
 */
function upgradeRecord(record: UserFamilyRecord): UserFamilyRecord {
  const knobs = record.spec.knobs as FamilySpec['knobs'] | LegacyCorpusKnobs;
  if (!('stylePrior' in knobs)) return record;
  return { ...record, spec: { ...record.spec, knobs: upgradeCorpusKnobs(knobs) } };
}

export const USER_ZOO_DATABASE = 'spurious-rewards-lab-zoo';
const VERSION = 1;
const FAMILIES = 'families';
const PROGRESS = 'progress';
const MODELS = 'models';

export interface UserZooStore {
  saveFamily(record: UserFamilyRecord): Promise<void>;
  listFamilies(): Promise<UserFamilyRecord[]>;
  getFamily(name: string): Promise<UserFamilyRecord | null>;
  /** Keeps the latest progress checkpoint and the record's step in one transaction. */
  saveProgress(name: string, progress: BuildProgress): Promise<void>;
  loadProgress(name: string): Promise<BuildProgress | null>;
  /** Stores the built model, marks the family built with its card and drops the progress checkpoint. */
  saveBuilt(name: string, files: CheckpointFiles, card: ZooCard): Promise<void>;
  loadModel(name: string): Promise<{ files: CheckpointFiles; card: ZooCard } | null>;
  deleteFamily(name: string): Promise<void>;
  close(): void;
}

export async function openUserZoo(
  factory: IDBFactory | null = globalThis.indexedDB ?? null,
  name = USER_ZOO_DATABASE,
): Promise<UserZooStore> {
  if (!factory) throw new Error('This browser has no IndexedDB: built families cannot be kept.');
  const request = factory.open(name, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(FAMILIES)) db.createObjectStore(FAMILIES, { keyPath: 'name' });
    if (!db.objectStoreNames.contains(PROGRESS)) db.createObjectStore(PROGRESS);
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS);
  };
  return new IndexedDbUserZoo(await requestToPromise(request));
}

let pageZoo: Promise<UserZooStore> | null = null;

/** The page's one connection to the user zoo, opened on first use (the builder and the run host share it). */
export function pageUserZoo(): Promise<UserZooStore> {
  pageZoo ??= openUserZoo();
  return pageZoo;
}

/** A built family's files and card (the download buttons, a run of that family). */
export async function loadBuiltModel(
  name: string,
): Promise<{ files: CheckpointFiles; card: ZooCard } | null> {
  return (await pageUserZoo()).loadModel(name);
}

class IndexedDbUserZoo implements UserZooStore {
  constructor(private readonly db: IDBDatabase) {}

  saveFamily(record: UserFamilyRecord): Promise<void> {
    return this.write([FAMILIES], (tx) => {
      tx.objectStore(FAMILIES).put(record);
    });
  }

  async listFamilies(): Promise<UserFamilyRecord[]> {
    const tx = this.db.transaction([FAMILIES], 'readonly');
    const all = (await requestToPromise(tx.objectStore(FAMILIES).getAll())) as UserFamilyRecord[];
    return all.map(upgradeRecord).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getFamily(name: string): Promise<UserFamilyRecord | null> {
    const tx = this.db.transaction([FAMILIES], 'readonly');
    const record = (await requestToPromise(tx.objectStore(FAMILIES).get(name))) as
      | UserFamilyRecord
      | undefined;
    return record ? upgradeRecord(record) : null;
  }

  async saveProgress(name: string, progress: BuildProgress): Promise<void> {
    const record = await this.getFamily(name);
    if (!record) throw new Error(`no family '${name}' to save progress for`);
    return this.write([FAMILIES, PROGRESS], (tx) => {
      tx.objectStore(PROGRESS).put(progress, name);
      tx.objectStore(FAMILIES).put({ ...record, step: progress.step });
    });
  }

  async loadProgress(name: string): Promise<BuildProgress | null> {
    const tx = this.db.transaction([PROGRESS], 'readonly');
    return ((await requestToPromise(tx.objectStore(PROGRESS).get(name))) as BuildProgress) ?? null;
  }

  async saveBuilt(name: string, files: CheckpointFiles, card: ZooCard): Promise<void> {
    const record = await this.getFamily(name);
    if (!record) throw new Error(`no family '${name}' to store a model for`);
    return this.write([FAMILIES, PROGRESS, MODELS], (tx) => {
      tx.objectStore(MODELS).put({ files, card }, name);
      tx.objectStore(PROGRESS).delete(name);
      tx.objectStore(FAMILIES).put({
        ...record,
        status: 'built',
        step: card.training.steps,
        card,
        message: null,
      } satisfies UserFamilyRecord);
    });
  }

  async loadModel(name: string): Promise<{ files: CheckpointFiles; card: ZooCard } | null> {
    const tx = this.db.transaction([MODELS], 'readonly');
    return (
      ((await requestToPromise(tx.objectStore(MODELS).get(name))) as {
        files: CheckpointFiles;
        card: ZooCard;
      }) ?? null
    );
  }

  deleteFamily(name: string): Promise<void> {
    return this.write([FAMILIES, PROGRESS, MODELS], (tx) => {
      tx.objectStore(FAMILIES).delete(name);
      tx.objectStore(PROGRESS).delete(name);
      tx.objectStore(MODELS).delete(name);
    });
  }

  close(): void {
    this.db.close();
  }

  private write(stores: string[], fill: (tx: IDBTransaction) => void): Promise<void> {
    return writeTransaction(this.db, stores, fill);
  }
}
