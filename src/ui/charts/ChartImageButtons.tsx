// PNG and SVG download buttons in a chart's header.
import type { RefObject } from 'react';
import { chartSvgText, downloadBlob, svgTextToPng } from '../downloads/chartImage';

/** The download buttons, in this order. */
const FORMATS = ['png', 'svg'] as const;

export function ChartImageButtons({
  figureRef,
  name,
}: {
  figureRef: RefObject<HTMLElement | null>;
  name: string;
}) {
  const exportAs = async (format: (typeof FORMATS)[number]) => {
    const figure = figureRef.current;
    if (!figure) return;
    try {
      const title = figure.querySelector('.chart-title')?.textContent ?? name;
      const svg = chartSvgText(figure, title);
      const blob = format === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgTextToPng(svg);
      downloadBlob(blob, `spurious-rewards-${name}.${format}`);
    } catch (err) {
      alert(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <span className="chart-exports">
      {FORMATS.map((format) => (
        <button
          key={format}
          type="button"
          className="chip"
          onClick={() => void exportAs(format)}
          title={`Download this chart as ${format.toUpperCase()}`}
        >
          {format.toUpperCase()}
        </button>
      ))}
    </span>
  );
}
