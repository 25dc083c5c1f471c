// Node host for the export's Python templates: reads `src/export/python/*.py` from disk, for the tsx CLI
// where Vite's import.meta.glob is not available. Never imported by browser code.
import { readFileSync } from 'node:fs';
import { pythonTemplates } from './pythonFiles';

/** Text of `src/export/python/<name>.py` read from the source tree. */
export function readPythonFileFromDisk(name: string): string {
  return readFileSync(new URL(`./python/${name}.py`, import.meta.url), 'utf8');
}

/** Let pythonTemplates.read() fall back to disk where nothing is bundled (idempotent). */
export function registerNodePythonLoader(): void {
  pythonTemplates.registerLoader(readPythonFileFromDisk);
}
