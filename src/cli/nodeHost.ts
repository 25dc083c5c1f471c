// The Node host of the experiment runner: loads zoo models from public/models (or any checkpoint
// directory), creates the CPU or WebGPU backend, and loads user JSONL datasets from files.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../engine/backend';
import { type BackendChoice, decideBackend } from '../engine/backendRule';
import { chooseBackend } from '../engine/chooseBackend';
import type { WebGpuBackendOptions } from '../engine/webgpu/backend';
import type { GpuContext } from '../engine/webgpu/device';
import type { MatmulVariant } from '../engine/webgpu/matmul';
import type { LoadedModel, RunResources } from '../experiment/assemble';
import { readCheckpointDir } from '../model/nodeCheckpointDir';
import { formatImportReport, importJsonl } from '../tasks/dataset';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ZOO_DIR = join(REPO_ROOT, 'public', 'models');

/** A zoo family name, or a path to a checkpoint directory. */
export function modelDir(family: string): string {
  const zoo = join(ZOO_DIR, family);
  if (/^[A-Za-z0-9._-]+$/.test(family) && existsSync(zoo)) return zoo;
  if (existsSync(family)) return resolve(family);
  throw new Error(`model "${family}" is neither a zoo family in ${ZOO_DIR} nor a checkpoint directory`);
}

/** The engine for a run in Node, by the one rule of src/engine/chooseBackend.ts; notices go to `log`. */
export async function createNodeBackend(
  choice: BackendChoice,
  log: (line: string) => void = () => {},
  options: WebGpuBackendOptions = {},
): Promise<Backend> {
  const { backend, notice } = await chooseBackend(
    choice,
    async () => {
      const { acquireNodeGpu } = await import('../engine/webgpu/node-gpu');
      return acquireNodeGpu();
    },
    options,
  );
  if (notice) log(notice);
  return backend;
}

export function nodeRunResources(
  options: {
    datasetFiles?: Record<string, string>;
    log?: (line: string) => void;
    /** WebGPU: use this matmul variant instead of probing (the seeds of one sweep use one). */
    matmul?: MatmulVariant;
  } = {},
): RunResources {
  const log = options.log ?? (() => {});
  return {
    createBackend: (choice) => createNodeBackend(choice, log, { matmul: options.matmul }),
    async loadModel(family: string): Promise<LoadedModel> {
      const loaded = await readCheckpointDir(modelDir(family));
      return { config: loaded.config, params: loaded.params, tokenizer: loaded.tokenizer };
    },
    async loadDataset(id: string) {
      const file = options.datasetFiles?.[id] ?? id;
      if (!existsSync(file))
        throw new Error(`dataset "${id}": no such file (pass --dataset-file ${id}=PATH)`);
      const imported = importJsonl(readFileSync(file, 'utf8'));
      if (imported.errors.length) log(formatImportReport(imported));
      return imported.problems;
    },
    onSetupProgress(phase, done, total) {
      if (done === total || done % 16 === 0) log(`${phase}: ${done}/${total}`);
    },
  };
}

/**
 * One GPU context for the seeds of a sweep to share, when the backend rule picks WebGPU on this machine
 * for `choice`; null when it picks the CPU engine (the seeds then run in worker threads and each says why).
 */
export async function openSharedNodeGpu(choice: BackendChoice): Promise<GpuContext | null> {
  if (choice === 'cpu') return null;
  // Without LAB_NATIVE_GPU or a driver of the user's choosing, Node gets SwiftShader, which 'auto'
  // never uses: no need to load Dawn to find that out.
  if (choice === 'auto' && process.env.LAB_NATIVE_GPU !== '1' && !process.env.VK_ICD_FILENAMES) return null;
  let context: GpuContext;
  try {
    const { acquireNodeGpu } = await import('../engine/webgpu/node-gpu');
    context = await acquireNodeGpu();
  } catch {
    return null;
  }
  if (decideBackend(choice, context.info, 'an adapter was found').use === 'cpu') {
    context.device.destroy();
    return null;
  }
  return context;
}

/**
 * `base` with every run's engine created on the one `context`: each seed keeps its own kernel runner,
 * buffers and pipelines, and their submissions share the device's queue.
 */
export function onSharedGpu(base: RunResources, context: GpuContext): RunResources {
  return {
    ...base,
    async createBackend() {
      const { WebGpuBackend } = await import('../engine/webgpu/backend');
      return WebGpuBackend.create(context);
    },
  };
}

/**
 * The matmul variant the seeds of a sweep in worker threads should all use, probed once here: workers
 * probing side by side would time each other and could choose differently. Undefined when the rule
 * picks the CPU engine.
 */
export async function probeNodeGpuVariant(choice: BackendChoice): Promise<MatmulVariant | undefined> {
  const context = await openSharedNodeGpu(choice);
  if (!context) return undefined;
  try {
    const { KernelRunner } = await import('../engine/webgpu/kernel');
    const { probeMatmul } = await import('../engine/webgpu/matmul');
    return (await probeMatmul(new KernelRunner(context))).variant;
  } finally {
    context.device.destroy();
  }
}
