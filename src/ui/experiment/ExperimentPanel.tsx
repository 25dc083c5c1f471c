// The experiment builder, rendered from the field-spec table in src/experiment/config/fields.ts:
// sections in schema order, basic knobs shown, advanced ones folded away, controls a classroom link
// hides left out. Cross-field problems (e.g. a mini-batch that does not divide the rollout batch) are
// listed under it.
import { useEffect, useMemo } from 'react';
import { updatesPerRolloutBatch } from '../../experiment/config/derived';
import { FIELD_SPECS } from '../../experiment/config/fields';
import {
  type ExperimentConfig,
  type FieldSection,
  type FieldSpec,
  ZOO_FAMILY_NAMES,
} from '../../experiment/config/schema';
import { validateExperiment } from '../../experiment/config/validate';
import { useLabStore } from '../store/labStore';
import { useLabRuntime } from '../store/runtimeStore';
import { useZooStore } from '../store/zooStore';
import { FieldControl } from './FieldControl';
import { ModelCard } from './ModelCard';

const SECTION_TITLES: Record<FieldSection, string> = {
  model: 'Model and data',
  reward: 'Reward',
  rollout: 'Rollouts',
  loss: 'Policy loss (GRPO)',
  optimizer: 'Optimizer',
  run: 'Run',
};
const SECTION_ORDER: FieldSection[] = ['model', 'reward', 'rollout', 'loss', 'optimizer', 'run'];

export function ExperimentPanel({ locked }: { locked: boolean }) {
  const config = useLabStore((s) => s.config);
  const hiddenKeys = useLabStore((s) => s.hiddenKeys);
  const visible = FIELD_SPECS.filter((spec) => !hiddenKeys.includes(spec.key));
  const crossFieldProblems = useMemo(() => validateExperiment(config).errors, [config]);

  return (
    <form className="experiment-panel" aria-label="Experiment" onSubmit={(e) => e.preventDefault()}>
      {locked && (
        <p className="panel-note">A run is in progress: pause or reset it to change the experiment.</p>
      )}
      {SECTION_ORDER.map((section) => {
        const specs = visible.filter((s) => s.section === section);
        if (specs.length === 0) return null;
        return <Section key={section} section={section} specs={specs} locked={locked} />;
      })}
      <p className="panel-note" data-testid="updates-per-batch">
        {updatesPerRolloutBatch(config)} optimizer updates per rollout batch
        {updatesPerRolloutBatch(config) === 1 ? ' (π = π_old: the clip never acts)' : ''}.
      </p>
      {crossFieldProblems.length > 0 && (
        <ul className="field-problems" role="alert">
          {crossFieldProblems.map((p) => (
            <li key={p.field}>
              {p.field} = {p.value}: {p.why}; the run will use {p.defaultUsed}.
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

function Section({ section, specs, locked }: { section: FieldSection; specs: FieldSpec[]; locked: boolean }) {
  const config = useLabStore((s) => s.config);
  const basic = specs.filter((s) => s.group === 'basic');
  const advanced = specs.filter((s) => s.group === 'advanced');
  return (
    <fieldset className="panel-section" data-section={section}>
      <legend>{SECTION_TITLES[section]}</legend>
      {basic.map((spec) => (
        <div key={spec.key}>
          {spec.key === 'model' ? (
            <ModelFamilyField spec={spec} config={config} locked={locked} />
          ) : (
            <FieldControl spec={spec} config={config} disabled={locked} />
          )}
        </div>
      ))}
      {advanced.length > 0 && (
        <details className="advanced">
          <summary>Advanced ({advanced.length})</summary>
          {advanced.map((spec) => (
            <FieldControl key={spec.key} spec={spec} config={config} disabled={locked} />
          ))}
        </details>
      )}
    </fieldset>
  );
}

/**
 * The model field with its card. Families built in this browser (Build a family) are suggested next to
 * the shipped zoo, and their cards come from IndexedDB, where the build left them.
 */
function ModelFamilyField({
  spec,
  config,
  locked,
}: {
  spec: FieldSpec;
  config: ExperimentConfig;
  locked: boolean;
}) {
  const families = useZooStore((s) => s.families);
  const zooLoaded = useZooStore((s) => s.loaded);
  const builds = useLabRuntime().buildController;
  useEffect(() => {
    if (!zooLoaded) void builds?.refresh();
  }, [zooLoaded, builds]);
  const built = families.filter((f) => f.status === 'built' && f.card);
  const localCard = built.find((f) => f.name === config.model)?.card ?? null;
  // A name with no files here (a typo, a family built in another browser) cannot run: say so now,
  // next to the field and the Play button, not when the run fails to start.
  const known = (ZOO_FAMILY_NAMES as readonly string[]).includes(config.model) || localCard !== null;
  useEffect(() => {
    if (!zooLoaded) return;
    useLabStore.getState().noteFieldProblem(
      'model',
      known
        ? null
        : {
            text: config.model,
            why: 'not a shipped family, and not one built in this browser (Build a family)',
          },
    );
  }, [known, zooLoaded, config.model]);
  return (
    <>
      <FieldControl
        spec={spec}
        config={config}
        disabled={locked}
        extraSuggestions={built.map((f) => f.name)}
      />
      <ModelCard family={config.model} localCard={localCard} />
    </>
  );
}
