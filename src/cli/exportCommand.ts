// `npm run lab -- export --engine verl|openrlhf (--preset ID | --url '...' | --config FILE) --out DIR`:
// writes the cluster recipe of an experiment (launch script, lab_reward.py, prepare_data.py, README with
// the setting-by-setting mapping) to a folder, and prints what does not map exactly.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatFieldError } from '../experiment/config/display';
import { exportExperiment } from '../export/cluster';
import { ENGINES, type Engine, type ExportOptions } from '../export/engines';
import { registerNodePythonLoader } from '../export/nodePythonFiles';
import { CliError, experimentFromArgs, type RunArgs } from './runCommand';

export const EXPORT_USAGE = `npm run lab -- export --engine verl|openrlhf (--preset ID | --url 'URL' | --config FILE.json) --out DIR
    --model ID               Hugging Face model (default: the real model the zoo family imitates)
    --lr X                   learning rate (default: the paper's 5e-7; the lab's rate is for tiny models)
    --max-response-length N  response tokens (default: the paper's 3072)
    --max-prompt-length N    prompt tokens (default 1024)
    --gpus N --nodes N       cluster layout (default 8 GPUs, 1 node)
    --set key=value          override an experiment field (URL keys), repeatable
    --force                  write into a non-empty DIR`;

export interface ExportArgs {
  run: RunArgs;
  options: ExportOptions;
  out?: string;
  force: boolean;
}

function positiveNumber(flag: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new CliError(`${flag} needs a positive ${integer ? 'whole ' : ''}number, got "${text}"`);
  return value;
}

/** Parse the export flags; throws CliError with a specific message on bad input. */
export function parseExportArgs(argv: readonly string[]): ExportArgs {
  const run: RunArgs = { set: [], datasetFiles: {}, quiet: true };
  let engine: Engine | undefined;
  const options: Omit<ExportOptions, 'engine'> = {};
  let out: string | undefined;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--engine': {
        const v = value();
        if (!ENGINES.includes(v as Engine))
          throw new CliError(`--engine must be one of ${ENGINES.join(', ')}, got "${v}"`);
        engine = v as Engine;
        break;
      }
      case '--preset':
        run.preset = value();
        break;
      case '--url':
        run.url = value();
        break;
      case '--config':
        run.config = value();
        break;
      case '--set':
        run.set.push(value());
        break;
      case '--out':
        out = value();
        break;
      case '--model':
        options.model = value();
        break;
      case '--lr':
        options.lr = positiveNumber(flag, value(), false);
        break;
      case '--max-response-length':
        options.maxResponseLength = positiveNumber(flag, value(), true);
        break;
      case '--max-prompt-length':
        options.maxPromptLength = positiveNumber(flag, value(), true);
        break;
      case '--gpus':
        options.gpusPerNode = positiveNumber(flag, value(), true);
        break;
      case '--nodes':
        options.nodes = positiveNumber(flag, value(), true);
        break;
      case '--force':
        force = true;
        break;
      default:
        throw new CliError(`unknown export option ${flag}\n\n${EXPORT_USAGE}`);
    }
  }
  if (!engine) throw new CliError(`--engine is required (${ENGINES.join(' or ')})\n\n${EXPORT_USAGE}`);
  if (!run.preset && !run.url && !run.config)
    throw new CliError(`give the experiment with --preset, --url or --config\n\n${EXPORT_USAGE}`);
  return { run, options: { engine, ...options }, out, force };
}

export function runExportCommand(
  argv: readonly string[],
  log: (line: string) => void = (l) => console.error(l),
): number {
  const args = parseExportArgs(argv);
  const { config, errors } = experimentFromArgs(args.run);
  if (errors.length) {
    for (const e of errors) log(`config: ${formatFieldError(e)}`);
    throw new CliError(`the experiment has ${errors.length} invalid field(s); fix them or remove them`);
  }
  const outDir = resolve(args.out ?? join('runs', `export-${args.options.engine}-${config.reward}`));
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !args.force)
    throw new CliError(`${outDir} is not empty; choose another --out or pass --force`);
  // Under tsx there is no Vite bundle: the reward module's template is read from the source tree.
  registerNodePythonLoader();
  const result = exportExperiment(config, args.options);
  for (const [path, text] of Object.entries(result.files)) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  log(
    `wrote ${Object.keys(result.files).length} files to ${outDir} (${args.options.engine}, model ${result.invocation.model})`,
  );
  for (const c of result.caveats) log(`  ${c.status.padEnd(11)} ${c.field}: ${c.note}`);
  log(`next: cd ${outDir} && python3 prepare_data.py && bash ${result.launchScript}`);
  return 0;
}
