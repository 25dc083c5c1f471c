// A lab-setting → engine-flag mapping as data: one row per lab setting naming the engine flags it sets,
// how each value is converted from the experiment, and how faithful the result is (or why it does not
// map). `applyMappingTable` is the one interpreter of such a table; the verl and OpenRLHF tables live in
// engines.ts and differ only in their rows and in how a flag is written (`key=value` or `--flag value`).
import type { ExperimentConfig, ExperimentKey } from '../experiment/config/schema';

export type MappingStatus = 'exact' | 'approximate' | 'unmapped' | 'prepare';

export interface SettingMapping {
  /** Config key (or a pseudo-field such as `(infrastructure)`). */
  field: ExperimentKey | string;
  labValue: string;
  /** Engine flags / overrides this row produced (empty when unmapped). */
  settings: string[];
  status: MappingStatus;
  note: string;
}

/** What a table is applied to: at least the experiment; engines add their resolved export options. */
export interface MappingInput {
  config: ExperimentConfig;
}

/** A constant, or a value computed from the experiment and the export options. */
export type FromInput<C, T> = T | ((input: C) => T);

export type FlagValue = string | number;

/** An engine flag and its value; a flag without a value is a switch (OpenRLHF `--bf16`). */
export type FlagSpec<C> = readonly [flag: string, value?: FromInput<C, FlagValue>];

/** How one lab setting maps for a given experiment. */
export interface MappingRule<C> {
  flags?: readonly FlagSpec<C>[];
  /** Default 'exact'. */
  status?: FromInput<C, MappingStatus>;
  /** Why the mapping is approximate or absent, or what the flags mean; default none. */
  note?: FromInput<C, string>;
}

export interface MappingRow<C> extends MappingRule<C> {
  field: ExperimentKey | `(${string})`;
  /**
   * For a setting that maps differently depending on the experiment: the rule for this one, used
   * instead of the row's own flags / status / note; null leaves the row out (a warning that does not apply).
   */
  choose?: (input: C) => MappingRule<C> | null;
}

export type MappingTable<C> = readonly MappingRow<C>[];

/** `choose` by the value of one setting, every value listed (the compiler checks none is missing). */
export function byValue<C extends MappingInput, K extends ExperimentKey>(
  key: K,
  rules: Record<`${ExperimentConfig[K]}`, MappingRule<C>>,
): (input: C) => MappingRule<C> {
  return (input) => rules[String(input.config[key]) as `${ExperimentConfig[K]}`];
}

function resolve<C, T>(value: FromInput<C, T>, input: C): T {
  return typeof value === 'function' ? (value as (input: C) => T)(input) : value;
}

/**
 * Apply a table: the engine's argument list (each flag once, in table order) and one mapping per row.
 * `formatFlag` writes a flag with its value the way the engine reads it.
 */
export function applyMappingTable<C extends MappingInput>(
  table: MappingTable<C>,
  input: C,
  formatFlag: (flag: string, value: string | undefined) => string,
): { args: string[]; mappings: SettingMapping[] } {
  const args: string[] = [];
  const mappings: SettingMapping[] = [];
  for (const row of table) {
    const rule = row.choose ? row.choose(input) : row;
    if (rule === null) continue;
    const settings = (rule.flags ?? []).map(([flag, value]) =>
      formatFlag(flag, value === undefined ? undefined : String(resolve(value, input))),
    );
    // Two settings may share one flag (Adam's betas): the engine gets it once.
    for (const s of settings) if (!args.includes(s)) args.push(s);
    mappings.push({
      field: row.field,
      labValue: row.field in input.config ? String(input.config[row.field as ExperimentKey]) : '',
      settings,
      status: resolve(rule.status ?? 'exact', input),
      note: resolve(rule.note ?? '', input),
    });
  }
  return { args, mappings };
}
