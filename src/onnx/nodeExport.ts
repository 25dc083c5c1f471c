// Node-side export of a checkpoint directory (config.json + model.safetensors + tokenizer.json, as in
// public/models/<family>/ or a training run's output) to an .onnx file, for the CLI and for users who
// want a trained policy outside the lab:
//
//   npx tsx src/onnx/nodeExport.ts <checkpoint-dir> <out.onnx> [--no-kv-cache]
//
// Node only (file system); the browser path is onnxDownload in ort-browser.ts.
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { readCheckpointDir } from '../model/nodeCheckpointDir';
import { exportOnnx } from './export';

export async function exportCheckpointDirToOnnx(
  dir: string,
  outFile: string,
  options: { kvCache?: boolean } = {},
): Promise<{ bytes: number; kvCache: boolean }> {
  const { config, params } = await readCheckpointDir(dir);
  const kvCache = options.kvCache ?? true;
  const onnx = exportOnnx(config, params, { kvCache, description: `exported from ${dir}` });
  await writeFile(outFile, onnx);
  return { bytes: onnx.length, kvCache };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const positional = args.filter((a) => !a.startsWith('--'));
  if (positional.length !== 2 || args.some((a) => a.startsWith('--') && a !== '--no-kv-cache')) {
    console.error('usage: npx tsx src/onnx/nodeExport.ts <checkpoint-dir> <out.onnx> [--no-kv-cache]');
    process.exit(2);
  }
  const [dir, out] = positional;
  const { bytes, kvCache } = await exportCheckpointDirToOnnx(dir, out, {
    kvCache: !args.includes('--no-kv-cache'),
  });
  console.log(`wrote ${out} (${(bytes / 1e6).toFixed(2)} MB, ${kvCache ? 'with' : 'without'} KV cache)`);
}
