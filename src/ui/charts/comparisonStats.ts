// Paired comparisons for the page's comparison table: runs of compared experiments that share a seed
// saw the same prompts and the same random-reward draws, so each entity is compared with the first one
// seed by seed (its change minus the first's change), as mean ± SE, median and seeds up/down.
import { summariseRun } from '../../experiment/metricsFiles';
import { type PairedComparison, pairedDifferences } from '../../experiment/paired';
import type { ChartEntity } from './chartRows';

export type PairedQuantity = 'greedyAccuracy' | 'codeFrequency' | 'meanPCode';

/** Seed -> change (after - before) of one quantity, for the runs of an entity that have both evals. */
export function changesBySeed(entity: ChartEntity, quantity: PairedQuantity): Map<number, number> {
  const out = new Map<number, number>();
  for (const item of entity.runs) {
    const { before, after } = summariseRun(item.series.steps, item.series.evals);
    const b = before?.[quantity];
    const a = after?.[quantity];
    if (before && after && before !== after && typeof a === 'number' && typeof b === 'number')
      out.set(item.run.seed, a - b);
  }
  return out;
}

export interface PairedRow {
  entity: ChartEntity;
  reference: ChartEntity;
  byQuantity: Record<PairedQuantity, PairedComparison>;
}

/** Every entity after the first against the first, on the seeds both have; empty when none pair. */
export function pairedRows(entities: readonly ChartEntity[]): PairedRow[] {
  if (entities.length < 2) return [];
  const [reference, ...others] = entities;
  const quantities: PairedQuantity[] = ['greedyAccuracy', 'codeFrequency', 'meanPCode'];
  return others
    .map((entity) => ({
      entity,
      reference,
      byQuantity: Object.fromEntries(
        quantities.map((q) => [q, pairedDifferences(changesBySeed(entity, q), changesBySeed(reference, q))]),
      ) as Record<PairedQuantity, PairedComparison>,
    }))
    .filter((row) => row.byQuantity.greedyAccuracy.n > 0);
}
