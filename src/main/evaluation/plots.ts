/**
 * Evaluation plots as SVG (d3-scale for scales and ticks, d3-shape for paths, d3-array for bins), rasterised to PNG
 * with sharp (librsvg), so no browser is needed.
 */
import { bin, extent, max } from 'd3-array';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import sharp from 'sharp';

export const PLOT_WIDTH = 640;
export const PLOT_HEIGHT = 480;
const MARGIN = { top: 40, right: 24, bottom: 56, left: 72 };
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
export const SERIES_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export interface ScatterSeries {
  name: string;
  colour: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface ScatterPlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ScatterSeries[];
  /** Draw y = x across the plot. */
  identity?: boolean;
  /** Force the domains (otherwise the data's extent, padded). */
  xDomain?: [number, number];
  yDomain?: [number, number];
}

export interface HistogramSeries {
  name: string;
  colour: string;
  values: ArrayLike<number>;
}

export interface HistogramPlot {
  title: string;
  xLabel: string;
  series: HistogramSeries[];
  bins?: number;
  xDomain?: [number, number];
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

function padded([lo, hi]: [number, number]): [number, number] {
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

function dataExtent(arrays: ArrayLike<number>[]): [number, number] {
  const all = arrays.flatMap((a) => Array.from(a).filter(Number.isFinite));
  const [lo, hi] = extent(all);
  return lo === undefined || hi === undefined ? [0, 1] : [lo, hi];
}

function frame(
  title: string,
  x: ScaleLinear<number, number>,
  y: ScaleLinear<number, number>,
  xLabel: string,
  yLabel: string,
): string {
  const [x0, x1] = x.range();
  const [y0, y1] = y.range();
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="#ffffff"/>`);
  for (const t of x.ticks(8)) {
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${y1}" y2="${y0}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px}" y="${y0 + 18}" text-anchor="middle" font-size="12">${x.tickFormat(8)(t)}</text>`);
  }
  for (const t of y.ticks(6)) {
    const py = y(t).toFixed(1);
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 8}" y="${py}" dy="4" text-anchor="end" font-size="12">${y.tickFormat(6)(t)}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text x="${PLOT_WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  );
  parts.push(
    `<text x="${(x0 + x1) / 2}" y="${PLOT_HEIGHT - 14}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(18 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(yLabel)}</text>`,
  );
  return parts.join('\n');
}

function legend(series: { name: string; colour: string }[]): string {
  return series
    .map((s, i) => {
      const y = MARGIN.top + 14 + i * 18;
      const x = MARGIN.left + 12;
      return `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${s.colour}"/><text x="${x + 18}" y="${y + 1}" font-size="12">${escapeXml(s.name)}</text>`;
    })
    .join('\n');
}

function svgDocument(body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" ` +
    `viewBox="0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}" font-family="${FONT}" fill="#222">\n${body}\n</svg>\n`
  );
}

export function scatterSvg(plot: ScatterPlot): string {
  let xDomain = plot.xDomain ?? padded(dataExtent(plot.series.map((s) => s.x)));
  let yDomain = plot.yDomain ?? padded(dataExtent(plot.series.map((s) => s.y)));
  if (plot.identity && !plot.xDomain && !plot.yDomain) {
    // Same scale on both axes so the identity line is the diagonal.
    const both = padded(dataExtent(plot.series.flatMap((s) => [s.x, s.y])));
    xDomain = both;
    yDomain = both;
  }
  const x = scaleLinear()
    .domain(xDomain)
    .range([MARGIN.left, PLOT_WIDTH - MARGIN.right])
    .nice();
  const y = scaleLinear()
    .domain(yDomain)
    .range([PLOT_HEIGHT - MARGIN.bottom, MARGIN.top])
    .nice();
  const parts = [frame(plot.title, x, y, plot.xLabel, plot.yLabel)];
  parts.push(`<g clip-path="url(#plot-area)">`);
  if (plot.identity) {
    const [lo, hi] = x.domain();
    const path = line<number>()
      .x((v) => x(v))
      .y((v) => y(v))([lo, hi]);
    parts.push(`<path d="${path}" stroke="#555" stroke-dasharray="6 4" fill="none"/>`);
  }
  for (const s of plot.series) {
    const dots: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      dots.push(`<circle cx="${x(s.x[i]).toFixed(1)}" cy="${y(s.y[i]).toFixed(1)}" r="2.2"/>`);
    }
    parts.push(`<g fill="${s.colour}" fill-opacity="0.45">${dots.join('')}</g>`);
  }
  parts.push('</g>');
  const [x0, x1] = x.range();
  const [y0, y1] = y.range();
  const clip = `<defs><clipPath id="plot-area"><rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/></clipPath></defs>`;
  if (plot.series.length > 1 || plot.identity) {
    parts.push(legend([...plot.series, ...(plot.identity ? [{ name: 'ideal (y = x)', colour: '#555' }] : [])]));
  }
  return svgDocument(clip + '\n' + parts.join('\n'));
}

export function histogramSvg(plot: HistogramPlot): string {
  const domain = plot.xDomain ?? padded(dataExtent(plot.series.map((s) => s.values)));
  const x = scaleLinear()
    .domain(domain)
    .range([MARGIN.left, PLOT_WIDTH - MARGIN.right])
    .nice();
  const binner = bin()
    .domain(x.domain() as [number, number])
    .thresholds(x.ticks(plot.bins ?? 40));
  const binned = plot.series.map((s) => {
    const bins = binner(Array.from(s.values).filter(Number.isFinite));
    const total = Math.max(1, s.values.length);
    return { s, bins, fractions: bins.map((b) => b.length / total) };
  });
  const top = max(binned.flatMap((b) => b.fractions)) ?? 1;
  const y = scaleLinear()
    .domain([0, top || 1])
    .range([PLOT_HEIGHT - MARGIN.bottom, MARGIN.top])
    .nice();
  const parts = [frame(plot.title, x, y, plot.xLabel, 'fraction of patches')];
  for (const { s, bins, fractions } of binned) {
    // A step outline per series, so overlapping models stay readable.
    const points: [number, number][] = [];
    bins.forEach((b, i) => {
      points.push([x(b.x0!), y(fractions[i])], [x(b.x1!), y(fractions[i])]);
    });
    if (points.length) {
      points.unshift([points[0][0], y(0)]);
      points.push([points[points.length - 1][0], y(0)]);
    }
    const path = line()(points);
    parts.push(`<path d="${path}" fill="${s.colour}" fill-opacity="0.18" stroke="${s.colour}" stroke-width="1.5"/>`);
  }
  parts.push(legend(plot.series));
  return svgDocument(parts.join('\n'));
}

/** PNG pixels per SVG unit: plots are drawn at 640x480 and rendered at 2x for sharp text and dots. */
export const PNG_SCALE = 2;

/** SVG text to a PNG file (sharp renders SVG with librsvg, whose SVG unit is 1/72 inch). */
export async function writePng(svg: string, path: string): Promise<void> {
  await sharp(Buffer.from(svg), { density: 72 * PNG_SCALE })
    .png()
    .toFile(path);
}
