// Exports a run's last checkpoint as a Hugging Face checkpoint: model.safetensors with Qwen2 tensor
// names, config.json, tokenizer.json, tokenizer_config.json and generation_config.json — the files
// `transformers` loads. The run's parameters come from IndexedDB; the architecture and tokenizer from
// the zoo family it was trained from.

import type { RunStore } from '../../experiment/persistence';
import { saveCheckpoint } from '../../model/checkpoint';
import { fetchCheckpoint } from '../../model/checkpointFetch';
import type { RunRecord } from '../runTypes';

export interface ExportedFile {
  name: string;
  data: Blob;
}

/** The HF files of `run`'s last checkpoint; throws an Error with a message for a person. */
export async function checkpointFiles(run: RunRecord, persistence: RunStore): Promise<ExportedFile[]> {
  const saved = await persistence.loadCheckpoint(run.id);
  const params = (saved?.data as { params?: unknown } | undefined)?.params;
  if (!saved || !(params instanceof Float32Array))
    throw new Error(
      `"${run.name}" has no saved checkpoint yet (one is saved at the end of a run, and every N steps when "checkpoint every" is set).`,
    );
  const family = typeof run.config.model === 'string' ? run.config.model : '';
  const base = await fetchCheckpoint(family, { baseUrl: document.baseURI });
  const files = saveCheckpoint(base.config, params, base.tokenizer, {
    metadata: { source: 'spurious-rewards-lab', experiment: run.hash, step: String(saved.step) },
  });
  return [
    {
      name: 'model.safetensors',
      data: new Blob([files.safetensorsBytes as BlobPart], { type: 'application/octet-stream' }),
    },
    { name: 'config.json', data: new Blob([files.configJson], { type: 'application/json' }) },
    { name: 'tokenizer.json', data: new Blob([files.tokenizerJson], { type: 'application/json' }) },
    {
      name: 'tokenizer_config.json',
      data: new Blob([files.tokenizerConfigJson], { type: 'application/json' }),
    },
    {
      name: 'generation_config.json',
      data: new Blob([files.generationConfigJson], { type: 'application/json' }),
    },
  ];
}
