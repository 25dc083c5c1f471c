// Interactive clip-bias plot: x = a token's probability under the rollout policy (pi_old), y = the new
// probability after an update. The shaded band is what the clip lets the token reach, (1±eps)·pi_old;
// above y = 1 nothing is reachable. Drag the pi_old slider to see where the upper bound leaves [0, 1].
import { useId, useState } from 'react';
import { clipBand, describeClipBand } from './clipBand';

const SIZE = { width: 360, height: 240, pad: 36 };
const x = (p: number) => SIZE.pad + p * (SIZE.width - 2 * SIZE.pad);
/** y axis runs to 1.25 so the part of the band above probability 1 stays visible. */
const Y_MAX = 1.25;
const y = (q: number) => SIZE.height - SIZE.pad - (q / Y_MAX) * (SIZE.height - 2 * SIZE.pad);

export function ClipBiasPlot() {
  const [piOld, setPiOld] = useState(0.85);
  const [eps, setEps] = useState(0.2);
  const band = clipBand(piOld, eps);
  const sliderId = useId();
  const epsId = useId();
  const grid = Array.from({ length: 101 }, (_, i) => i / 100);
  const bandPath = [
    ...grid.map((p) => `${x(p)},${y((1 + eps) * p)}`),
    ...[...grid].reverse().map((p) => `${x(p)},${y((1 - eps) * p)}`),
  ].join(' ');

  return (
    <figure className="clip-plot" data-testid="clip-plot">
      <svg
        viewBox={`0 0 ${SIZE.width} ${SIZE.height}`}
        role="img"
        aria-label={`Clip band for pi_old ${band.piOld.toFixed(2)}: from ${band.lower.toFixed(2)} to ${band.upper.toFixed(2)}`}
      >
        <polygon points={bandPath} fill="#56B4E9" fillOpacity={0.35} />
        {/* Above probability 1: unreachable, hatched grey. */}
        <rect
          x={x(0)}
          y={y(Y_MAX)}
          width={x(1) - x(0)}
          height={y(1) - y(Y_MAX)}
          fill="#999"
          fillOpacity={0.18}
        />
        <line x1={x(0)} y1={y(1)} x2={x(1)} y2={y(1)} stroke="#000" strokeDasharray="4 3" />
        <text x={x(0) + 4} y={y(1) - 4} fontSize={10}>
          probability 1 (nothing above is reachable)
        </text>
        <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#666" strokeWidth={1} />
        <line
          x1={x(band.threshold)}
          y1={y(0)}
          x2={x(band.threshold)}
          y2={y(1)}
          stroke="#CC79A7"
          strokeDasharray="2 3"
        />
        <text x={x(band.threshold) - 4} y={y(0) - 4} fontSize={10} textAnchor="end" fill="#CC79A7">
          1/(1+ε)
        </text>
        {/* The chosen token: its reachable interval in bold, the unreachable part of the band dashed. */}
        <line
          x1={x(band.piOld)}
          y1={y(band.lower)}
          x2={x(band.piOld)}
          y2={y(Math.min(1, band.upper))}
          stroke="#0072B2"
          strokeWidth={4}
        />
        {!band.upperReachable && (
          <line
            x1={x(band.piOld)}
            y1={y(1)}
            x2={x(band.piOld)}
            y2={y(band.upper)}
            stroke="#D55E00"
            strokeWidth={3}
            strokeDasharray="3 2"
          />
        )}
        <circle cx={x(band.piOld)} cy={y(band.piOld)} r={4} fill="#000" />
        <circle
          cx={x(band.piOld)}
          cy={y(band.upper)}
          r={4}
          fill={band.upperReachable ? '#0072B2' : '#D55E00'}
        />
        <circle cx={x(band.piOld)} cy={y(band.lower)} r={4} fill="#0072B2" />
        <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(0)} stroke="#000" />
        <line x1={x(0)} y1={y(0)} x2={x(0)} y2={y(Y_MAX)} stroke="#000" />
        <text x={x(0.5)} y={SIZE.height - 6} fontSize={11} textAnchor="middle">
          π_old (probability before the update)
        </text>
        <text x={10} y={y(0.6)} fontSize={11} transform={`rotate(-90 10 ${y(0.6)})`} textAnchor="middle">
          π_new allowed by the clip
        </text>
        {[0, 0.5, 1].map((t) => (
          <text key={t} x={x(t)} y={y(0) + 12} fontSize={10} textAnchor="middle">
            {t}
          </text>
        ))}
      </svg>
      <div className="clip-controls">
        <label htmlFor={sliderId}>
          π_old = <output data-testid="clip-pi-old">{band.piOld.toFixed(2)}</output>
        </label>
        <input
          id={sliderId}
          data-testid="clip-slider"
          type="range"
          min={0.01}
          max={0.99}
          step={0.01}
          value={piOld}
          onChange={(e) => setPiOld(Number(e.target.value))}
        />
        <label htmlFor={epsId}>
          ε = <output>{band.eps.toFixed(2)}</output>
        </label>
        <input
          id={epsId}
          type="range"
          min={0.05}
          max={0.5}
          step={0.01}
          value={eps}
          onChange={(e) => setEps(Number(e.target.value))}
        />
      </div>
      <figcaption data-testid="clip-verdict" data-upper-reachable={band.upperReachable}>
        {describeClipBand(band)}
      </figcaption>
    </figure>
  );
}
