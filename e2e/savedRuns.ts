// Shared by the e2e specs: wipe the page's saved runs (its IndexedDB database) so a test starts from an
// empty runs list whatever an earlier test left behind.
import type { Page } from '@playwright/test';

/** Deletes the lab's IndexedDB database from the open page; resolves even when it was blocked or absent. */
export async function clearSavedRuns(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase('spurious-rewards-lab');
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      }),
  );
}
