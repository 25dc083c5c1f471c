// The browser host of the experiment runner: zoo models fetched from the page's models/ folder (or a
// family the user built in this browser, handed over by the page), the WebGPU backend when a hardware
// adapter exists (the CPU engine otherwise, with a notice: 'auto' also skips a software adapter such as
// SwiftShader, where the WebAssembly CPU engine is ~10x faster), and user datasets handed over by the page.
import type { Backend } from '../engine/backend';
import type { BackendChoice } from '../engine/backendRule';
import { chooseBackend } from '../engine/chooseBackend';
import { acquireGpu, type GpuContext } from '../engine/webgpu/device';
import { CHECKPOINT_FILE_NAMES, loadCheckpoint } from '../model/checkpoint';
import { CheckpointFetchError, fetchCheckpoint } from '../model/checkpointFetch';
import type { DatasetProblem } from '../tasks/dataset';
import type { LoadedModel, RunResources } from './assemble';
import type { UserModelFiles } from './workerProtocol';

export interface BrowserHostOptions {
  baseUrl: string;
  datasets?: Record<string, DatasetProblem[]>;
  /** Families built in this browser, by name; they take precedence over the shipped zoo. */
  userModels?: Record<string, UserModelFiles>;
  onSetupProgress?: (phase: string, done: number, total: number) => void;
  /** fetch for the shipped zoo (tests); the global fetch by default. */
  fetch?: typeof fetch;
  /**
   * Opens the GPU context to compute on when it is shared with other runs (the training Worker's one
   * device for the seeds of a sweep); without it each run opens a device of its own.
   */
  sharedGpu?: () => Promise<GpuContext>;
  /** Called once the backend is chosen, with a notice for the user when it is not what they asked. */
  onBackend?: (backend: Backend, notice: string | null, gpu: GpuContext | null) => void;
}

/**
 * The engine for a run in the page, by the one rule of src/engine/chooseBackend.ts: on the context
 * `sharedGpu` opens when given, on a device of its own otherwise.
 */
export function createBrowserBackend(
  choice: BackendChoice,
  gpu: GPU | undefined,
  sharedGpu?: () => Promise<GpuContext>,
): Promise<{ backend: Backend; notice: string | null; context: GpuContext | null }> {
  return sharedGpu
    ? chooseBackend(choice, sharedGpu, {}, true)
    : chooseBackend(choice, () => acquireGpu(gpu));
}

export function browserRunResources(options: BrowserHostOptions): RunResources {
  return {
    async createBackend(choice) {
      const { backend, notice, context } = await createBrowserBackend(
        choice,
        typeof navigator === 'undefined' ? undefined : navigator.gpu,
        options.sharedGpu,
      );
      options.onBackend?.(backend, notice, context);
      return backend;
    },
    async loadModel(family: string): Promise<LoadedModel> {
      const own = options.userModels?.[family];
      const loaded = own
        ? loadCheckpoint({
            configJson: own.configJson,
            safetensorsBytes: own.safetensorsBytes,
            tokenizerJson: own.tokenizerJson,
          })
        : await fetchCheckpoint(family, { baseUrl: options.baseUrl, fetch: options.fetch }).catch(
            (err: unknown) => {
              // No config.json at all: the name is neither shipped nor built here (a shared link naming a
              // family built in another browser lands here).
              if (err instanceof CheckpointFetchError && err.missingFile === CHECKPOINT_FILE_NAMES.config) {
                throw new Error(
                  `model family "${family}" is not in the shipped zoo and was not built in this browser ` +
                    `(Build a family makes one; a link naming a built family only works in the browser that ` +
                    `built it). ${err.message}`,
                );
              }
              throw err;
            },
          );
      return { config: loaded.config, params: loaded.params, tokenizer: loaded.tokenizer };
    },
    async loadDataset(id: string) {
      const problems = options.datasets?.[id];
      if (!problems) throw new Error(`dataset "${id}" is not in this browser (import its JSONL file first)`);
      return problems;
    },
    onSetupProgress: options.onSetupProgress,
  };
}
