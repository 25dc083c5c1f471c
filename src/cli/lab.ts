// The lab's command line (`npm run lab -- <command>`): `run` trains an experiment headless with the same
// runner as the browser; `export` writes a cluster recipe (verl / OpenRLHF) for an experiment;
// `presets` lists the named experiments.
import { PRESETS } from '../experiment/presets';
import { CliError, type RunArgs, runCommand } from './runCommand';

const USAGE = `Spurious Rewards Lab CLI

  npm run lab -- run [--preset ID | --url 'EXPERIMENT URL' | --config FILE.json] [options]
      (none of the three: the lab's default experiment, as the page opens with)
      --out DIR             output folder (default runs/run-<time>)
      --backend B           auto | webgpu | cpu (auto: a hardware GPU if Dawn finds one, else CPU)
      --seeds N             seed sweep: seeds seed..seed+N-1, mean ± standard error in sweep-summary.json
      --jobs N              seeds run at once: in worker threads on the CPU engine, on one shared
                            GPU device on WebGPU (default: one per core)
      --steps N             override the number of GRPO steps
      --set key=value       override any experiment field (URL keys as in shared links), repeatable
      --dataset-file ID=PATH  a JSONL dataset for 'dataset=ID'
      --resume DIR          continue the run in DIR from its last checkpoint (every seed); with
                            --steps N, extend it to N steps
      --quiet               no progress bar
  npm run lab -- export --engine verl|openrlhf (--preset ID | --url '...' | --config FILE) --out DIR
  npm run lab -- logits CHECKPOINT_DIR ['QUESTION']
      writes CHECKPOINT_DIR/logits.json: the CPU engine's logits for one chat prompt, to compare with
      transformers' Qwen2ForCausalLM (see README, "Checking a lab checkpoint in PyTorch")
  npm run lab -- presets

Writes metrics.jsonl, metrics.csv, summary.json and checkpoint/ (Hugging Face Qwen2 files plus the
optimizer state) per seed.`;

export function parseRunArgs(argv: string[]): RunArgs {
  const args: RunArgs = { set: [], datasetFiles: {}, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--preset':
        args.preset = value();
        break;
      case '--url':
        args.url = value();
        break;
      case '--config':
        args.config = value();
        break;
      case '--out':
        args.out = value();
        break;
      case '--resume':
        args.resume = value();
        break;
      case '--backend':
        args.backend = value();
        break;
      case '--seeds':
        args.seeds = value();
        break;
      case '--steps':
        args.steps = value();
        break;
      case '--jobs':
        args.jobs = value();
        break;
      case '--set':
        args.set.push(value());
        break;
      case '--dataset-file': {
        const [id, ...path] = value().split('=');
        if (!id || !path.length) throw new CliError('--dataset-file takes ID=PATH');
        args.datasetFiles[id] = path.join('=');
        break;
      }
      case '--quiet':
        args.quiet = true;
        break;
      default:
        throw new CliError(`unknown option ${flag}`);
    }
  }
  return args;
}

/** logits.json for the PyTorch comparison: token ids of one chat prompt and the CPU engine's logits. */
async function logitsCommand(argv: string[]): Promise<number> {
  const [dir, question = '2+3=?'] = argv;
  if (!dir) throw new CliError('logits needs a checkpoint directory');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { readCheckpointDir } = await import('../model/nodeCheckpointDir');
  const { CpuTransformer } = await import('../engine/cpu/model');
  const { logitsReferenceJson } = await import('../model/checkpoint');
  const { formatPrompt } = await import('../tasks/format');
  const { config, params, tokenizer } = await readCheckpointDir(dir);
  const ids = tokenizer.encode(formatPrompt(question), { onUnknown: 'throw' });
  const model = new CpuTransformer(config);
  const acts = model.forward(params, Int32Array.from(ids), Int32Array.of(ids.length), 1, ids.length);
  const out = join(dir, 'logits.json');
  writeFileSync(out, logitsReferenceJson(ids, Float32Array.from(acts.logits), config.vocab_size));
  console.error(`wrote ${out} (${ids.length} tokens x ${config.vocab_size} logits)`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(USAGE);
        return 0;
      }
      return runCommand(parseRunArgs(rest));
    case 'export': {
      const { runExportCommand } = await import('./exportCommand');
      return runExportCommand(rest);
    }
    case 'logits':
      return logitsCommand(rest);
    case 'presets':
      for (const p of PRESETS)
        console.log(`${p.id.padEnd(28)} ${p.title}\n${' '.repeat(29)}${p.explanation}`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof CliError) {
      console.error(`error: ${err.message}`);
      process.exit(2);
    }
    // Everything else is also said in one line (an unknown model, a truncated checkpoint, a lost GPU);
    // the stack trace, for a bug report, only on request.
    const message = err instanceof Error ? err.message : String(err);
    if (process.env.LAB_DEBUG === '1' && err instanceof Error) console.error(err.stack);
    else console.error(`error: ${message}\n(LAB_DEBUG=1 prints the stack trace)`);
    process.exit(1);
  },
);
