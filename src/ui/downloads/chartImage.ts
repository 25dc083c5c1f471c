// Chart images for slides and papers: the chart's SVG as a standalone file (fonts and a white
// background inlined) and the same rendered to a PNG at 2x for projectors.

/** The recharts SVG of a chart figure, self-contained: xmlns, explicit size and a white background. */
export function chartSvgText(figure: HTMLElement, title: string): string {
  // The plot's own surface, not a legend icon (those are small recharts-surface SVGs too): the largest.
  const surfaces = [...figure.querySelectorAll('svg.recharts-surface')];
  const area = (el: Element) => el.getBoundingClientRect().width * el.getBoundingClientRect().height;
  const svg = surfaces.sort((a, b) => area(b) - area(a))[0];
  if (!svg) throw new Error('This chart has no points to export yet.');
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const { width, height } = svg.getBoundingClientRect();
  // The legend is HTML next to the SVG: redraw it under the plot so an exported comparison says which
  // line is which run.
  const legend = [...figure.querySelectorAll('.recharts-legend-item')].map((item) => ({
    label: item.querySelector('.recharts-legend-item-text')?.textContent ?? '',
    colour: item.querySelector('path, line')?.getAttribute('stroke') ?? '#000',
  }));
  const legendHeight = legend.length ? 18 * legend.length + 6 : 0;
  const totalHeight = Math.round(height + 24 + legendHeight);
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(Math.round(width)));
  clone.setAttribute('height', String(totalHeight));
  clone.setAttribute('viewBox', `0 -24 ${Math.round(width)} ${totalHeight}`);
  clone.removeAttribute('style');
  clone.setAttribute('font-family', 'system-ui, sans-serif');
  const ns = 'http://www.w3.org/2000/svg';
  const background = document.createElementNS(ns, 'rect');
  background.setAttribute('x', '0');
  background.setAttribute('y', '-24');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', '#ffffff');
  clone.insertBefore(background, clone.firstChild);
  const heading = document.createElementNS(ns, 'text');
  heading.setAttribute('x', '8');
  heading.setAttribute('y', '-8');
  heading.setAttribute('font-size', '13');
  heading.textContent = title; // textContent: a run name can never become markup
  clone.insertBefore(heading, background.nextSibling);
  legend.forEach(({ label, colour }, i) => {
    const y = Math.round(height) + 14 + 18 * i;
    const swatch = document.createElementNS(ns, 'line');
    swatch.setAttribute('x1', '10');
    swatch.setAttribute('x2', '34');
    swatch.setAttribute('y1', String(y - 4));
    swatch.setAttribute('y2', String(y - 4));
    swatch.setAttribute('stroke', colour);
    swatch.setAttribute('stroke-width', '3');
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', '40');
    text.setAttribute('y', String(y));
    text.setAttribute('font-size', '12');
    text.textContent = label;
    clone.append(swatch, text);
  });
  return new XMLSerializer().serializeToString(clone);
}

/** Renders SVG text to a PNG blob at `scale` times its size. */
export async function svgTextToPng(svgText: string, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(image.width * scale);
    canvas.height = Math.ceil(image.height * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot draw to a canvas, so PNG export is unavailable.');
    context.scale(scale, scale);
    context.drawImage(image, 0, 0);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Starts a download of `data` named `filename`. */
export function downloadBlob(data: Blob, filename: string): void {
  const url = URL.createObjectURL(data);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
