// A small bar chart as inline SVG, drawn on the server: presentation attributes and classes only
// (no inline style), so the console's CSP needs nothing for it.
import { html, type SafeHtml } from '../html';

/** Bars for `values` (oldest first), labelled with `label` for screen readers. */
export function barChart(values: readonly number[], label: string): SafeHtml {
  const w = 280;
  const h = 60;
  const max = Math.max(1, ...values);
  const step = w / Math.max(1, values.length);
  const bars = values.map((v, i) => {
    const bh = Math.round((v / max) * (h - 12) * 10) / 10;
    return html`<rect class="bar" x="${(i * step + 1).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${bh.toFixed(1)}"><title>${v}</title></rect>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
<line class="axis" x1="0" y1="${h - 0.5}" x2="${w}" y2="${h - 0.5}"/>
<text x="0" y="9">${max}</text>
${bars}
</svg>`;
}
