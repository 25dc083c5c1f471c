// The seed worker's entry in plain JavaScript: a worker thread starts without the TypeScript loader
// the CLI runs under, so it loads src/cli/seedWorker.ts through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./seedWorker.ts', import.meta.url);
