// The runs file: every selected run (record, metrics, latest samples) as one JSON document, to move
// runs between browsers or into a notebook, and to import back. Parsing checks every run and reports
// each bad one by position and reason instead of failing the whole file. Checkpoints are not included
// (they are large); an imported run can be viewed and compared, not resumed.
import type { EvalMetrics, RunData, RunRecord, StepMetrics } from '../runTypes';

export const RUNS_FILE_FORMAT = 'spurious-rewards-lab/runs';
export const RUNS_FILE_VERSION = 1;

export function serializeRunsFile(runs: readonly RunData[]): string {
  // NaN (e.g. accuracy with code when there was no code) is not JSON: write null and read it back as NaN.
  return JSON.stringify(
    { format: RUNS_FILE_FORMAT, version: RUNS_FILE_VERSION, exportedAt: new Date().toISOString(), runs },
    (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    1,
  );
}

export interface ParsedRunsFile {
  runs: RunData[];
  /** One message per run or problem that was skipped, for a person to read. */
  problems: string[];
}

export function parseRunsFile(text: string): ParsedRunsFile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    return {
      runs: [],
      problems: [`Not a runs file: the text is not valid JSON (${(err as Error).message}).`],
    };
  }
  if (!isObject(document) || document.format !== RUNS_FILE_FORMAT)
    return { runs: [], problems: [`Not a runs file: expected "format": "${RUNS_FILE_FORMAT}".`] };
  if (document.version !== RUNS_FILE_VERSION)
    return {
      runs: [],
      problems: [
        `Runs file version ${String(document.version)} is not supported (this lab reads ${RUNS_FILE_VERSION}).`,
      ],
    };
  if (!Array.isArray(document.runs)) return { runs: [], problems: ['The runs file has no "runs" list.'] };
  const runs: RunData[] = [];
  const problems: string[] = [];
  document.runs.forEach((item: unknown, index: number) => {
    const problem = runProblem(item);
    if (problem) problems.push(`Run ${index + 1} skipped: ${problem}.`);
    else runs.push(restoreNaN(item as RunData));
  });
  return { runs, problems };
}

function runProblem(item: unknown): string | null {
  if (!isObject(item)) return 'not an object';
  const run = item.run;
  if (!isObject(run)) return 'no "run" record';
  if (typeof run.id !== 'string' || run.id.length === 0 || run.id.length > 200)
    return 'the run has no valid id';
  if (typeof run.name !== 'string') return `run ${run.id} has no name`;
  if (typeof run.createdAt !== 'number') return `run ${run.id} has no creation time`;
  if (!Array.isArray(item.steps) || !item.steps.every(hasStepNumber))
    return `run ${run.id}: "steps" must be a list of step records`;
  if (!Array.isArray(item.evals) || !item.evals.every(hasStepNumber))
    return `run ${run.id}: "evals" must be a list of eval records`;
  if (!Array.isArray(item.samples)) return `run ${run.id}: "samples" must be a list`;
  return null;
}

function hasStepNumber(record: unknown): boolean {
  return (
    isObject(record) && typeof record.step === 'number' && Number.isInteger(record.step) && record.step >= 0
  );
}

/** Nulls written for NaN come back as NaN in numeric metric fields; the run is never "running" after import. */
function restoreNaN(data: RunData): RunData {
  const fix = <T extends StepMetrics | EvalMetrics>(record: T): T => {
    const copy = { ...record } as Record<string, unknown>;
    for (const [k, v] of Object.entries(copy)) if (v === null) copy[k] = Number.NaN;
    return copy as T;
  };
  const run: RunRecord = {
    ...data.run,
    state: data.run.state === 'running' ? 'stopped' : data.run.state,
    sweepId: data.run.sweepId ?? null,
    message: data.run.message ?? null,
  };
  return { run, steps: data.steps.map(fix), evals: data.evals.map(fix), samples: data.samples };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
