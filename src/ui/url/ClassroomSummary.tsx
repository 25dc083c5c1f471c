// Classroom links (`hide=`) take controls off the page; this line says what they are set to, read-only,
// so a projected page always names what is being tested ("Reward: random · γ: 0.5 · ...").
import { formatFieldValue } from '../../experiment/config/display';
import { fieldSpec } from '../../experiment/config/fields';
import { useLabStore } from '../store/labStore';

export function ClassroomSummary() {
  const hidden = useLabStore((s) => s.hiddenKeys);
  const config = useLabStore((s) => s.config);
  if (hidden.length === 0) return null;
  return (
    <p className="classroom-summary" data-testid="classroom-summary">
      <span className="classroom-summary-label">This lesson fixes</span>{' '}
      {hidden
        .map((key) => {
          const spec = fieldSpec(key);
          return `${spec.label}: ${formatFieldValue(spec, config[key])}`;
        })
        .join(' · ')}
    </p>
  );
}
