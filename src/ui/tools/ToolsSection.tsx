// One section of the Tools tab: the panel-section frame with its heading (a tab-level h2, or an h3 for
// the checks on a loaded model) labelling it, so every section is built and labelled the same way.
import type { ReactNode } from 'react';

export function ToolsSection({
  id,
  title,
  level,
  children,
}: {
  /** `tools-<id>-title` is the heading's id. */
  id: string;
  title: string;
  level: 2 | 3;
  children: ReactNode;
}) {
  const headingId = `tools-${id}-title`;
  return (
    <section className="panel-section tools-section" aria-labelledby={headingId}>
      {level === 2 ? (
        <h2 id={headingId} className="tools-title">
          {title}
        </h2>
      ) : (
        <h3 id={headingId} className="tools-subtitle">
          {title}
        </h3>
      )}
      {children}
    </section>
  );
}
