// Two small promise helpers over plain IndexedDB, shared by the run store (src/experiment/persistence.ts)
// and the user zoo (src/ui/zoo/userZoo.ts).

export function requestToPromise<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Runs `fill` in one readwrite transaction and resolves when it commits (or rejects on abort). */
export function writeTransaction(
  db: IDBDatabase,
  stores: string[],
  fill: (tx: IDBTransaction) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, 'readwrite');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write was aborted (storage full?)'));
    fill(tx);
  });
}
