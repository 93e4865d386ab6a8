/** Pure helpers of the autofocus UI: the keyboard shortcut, the diverging palette, the result toast text. */
import { formatSignedUm, type AutofocusResult } from '../../../../shared/autofocus';

/** The shortcut: F (no modifier) or Ctrl+Space, never while typing in a field. */
export const AUTOFOCUS_SHORTCUT = 'F or Ctrl+Space';

export function isAutofocusKey(
  e: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'altKey' | 'metaKey' | 'shiftKey' | 'target'>,
): boolean {
  const target = e.target as HTMLElement | null;
  if (target && (['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName) || target.isContentEditable)) return false;
  if (e.ctrlKey && !e.altKey && !e.metaKey && (e.code === 'Space' || e.key === ' ')) return true;
  return !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey && (e.key === 'f' || e.key === 'F');
}

/** A symmetric scale for the map: the largest |value| rounded up to 0.5, 1, 2, 5, 10, 20, 50 um. */
export function mapScaleUm(values: ReadonlyArray<number | null>): number {
  const m = Math.max(0, ...values.filter((v): v is number => v !== null && Number.isFinite(v)).map(Math.abs));
  return [0.5, 1, 2, 5, 10, 20, 50].find((s) => m <= s) ?? Math.ceil(m / 50) * 50;
}

const NEG = [49, 130, 220]; // below focus (d < 0): blue
const MID = [240, 240, 240];
const POS = [214, 68, 60]; // above focus (d > 0): red

/** Diverging colour of a signed defocus on a +-scale: blue (d < 0), white (in focus), red (d > 0). */
export function divergingColour(v: number, scaleUm: number, alpha = 0.45): string {
  const t = Math.max(-1, Math.min(1, v / scaleUm));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  const c = MID.map((m, i) => Math.round(m + (end[i] - m) * a));
  return `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

/** The toast after a run: the move, the confidence, the time (and why, when it did not focus). */
export function resultToast(r: AutofocusResult): { level: 'success' | 'warning' | 'error'; message: string } {
  const moved = r.finalZUm - r.startZUm;
  const parts = [`moved ${formatSignedUm(moved)}`];
  if (r.confidence !== null) parts.push(`confidence ${r.confidence.toFixed(2)}`);
  parts.push(`${r.images} image${r.images === 1 ? '' : 's'} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  const by =
    r.decidedBy === 'net+fallback'
      ? ' (classic fallback decided)'
      : r.decidedBy === 'net+refine'
        ? ' (network, then a sharpness refine)'
        : r.decidedBy === 'net'
          ? ''
          : ` (${r.decidedBy})`;
  const level =
    r.outcome === 'focused' ? 'success' : ['stage-error', 'camera-error'].includes(r.outcome) ? 'error' : 'warning';
  // The glass was off the models' training range: the operator can fix that once (Autofocus page).
  const hint = r.hint ? ` Hint: ${r.hint} (Autofocus page, White reference).` : '';
  return { level, message: `Autofocus${by}: ${parts.join(', ')}. ${r.message}${hint}` };
}
