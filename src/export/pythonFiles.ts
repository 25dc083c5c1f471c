// The one place the exported Python templates are loaded from `src/export/python/*.py`, so the page and
// the CLI write byte-identical modules. In Vite (the page, vitest) the files are bundled as text via
// import.meta.glob; in plain Node (the tsx CLI) nodePythonFiles.ts registers a file-system loader
// (util/bundledText.ts, shared with the shaders).
import { bundledText } from '../util/bundledText';

/** `pythonTemplates.read('lab_reward')` is the text of python/lab_reward.py. */
export const pythonTemplates = bundledText(
  () => import.meta.glob('./python/*.py', { query: '?raw', import: 'default', eager: true }),
  'Python file',
  '.py',
  'call registerNodePythonLoader() first in Node',
);
