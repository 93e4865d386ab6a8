/** Which stacks an export takes, with everything the manifest needs from the stack and its setup. */
import type Database from 'better-sqlite3';
import type { FocusLabel } from '../../../shared/dataset';

export interface ExportStack {
  id: number;
  slideId: number;
  slideName: string;
  setupId: string;
  zFocusUm: number;
  zFocusSource: string;
  focusMethod: FocusLabel | null;
  qcVerdict: string | null;
  operatorStatus: string;
  source: string;
  pixelSizeUm: number;
  magnification: number;
  na: number;
}

export interface SelectOptions {
  setupId?: string;
  includeExcluded?: boolean;
  includeQcFailed?: boolean;
}

export interface Selection {
  stacks: ExportStack[];
  skipped: { excluded: number; qcFailed: number; unlabelled: number; incomplete: number };
}

export function selectStacks(db: Database.Database, o: SelectOptions): Selection {
  const rows = db
    .prepare(
      `SELECT s.id, s.slide_id, sl.name AS slide_name, s.setup_id, s.z_focus_um, s.z_focus_source, s.focus_method,
         s.qc_verdict, s.operator_status, s.source, s.state, st.pixel_size_um, st.magnification, st.na
       FROM stacks s JOIN setups st ON st.id = s.setup_id JOIN slides sl ON sl.id = s.slide_id
       ${o.setupId !== undefined ? 'WHERE s.setup_id = ?' : ''}
       ORDER BY s.id`,
    )
    .all(...(o.setupId !== undefined ? [o.setupId] : [])) as Record<string, unknown>[];
  const skipped = { excluded: 0, qcFailed: 0, unlabelled: 0, incomplete: 0 };
  const stacks: ExportStack[] = [];
  for (const r of rows) {
    if (r.state !== 'complete') {
      skipped.incomplete++;
      continue;
    }
    if (r.z_focus_um === null) {
      skipped.unlabelled++;
      continue;
    }
    if (r.operator_status === 'excluded' && !o.includeExcluded) {
      skipped.excluded++;
      continue;
    }
    // An operator who accepted or corrected a stack vouches for it, whatever the automatic QC said.
    const vouched = r.operator_status === 'accepted' || r.operator_status === 'overridden';
    if (r.qc_verdict === 'fail' && !vouched && !o.includeQcFailed) {
      skipped.qcFailed++;
      continue;
    }
    stacks.push({
      id: r.id as number,
      slideId: r.slide_id as number,
      slideName: r.slide_name as string,
      setupId: r.setup_id as string,
      zFocusUm: r.z_focus_um as number,
      zFocusSource: (r.z_focus_source as string) ?? 'fit',
      focusMethod: r.focus_method ? (JSON.parse(r.focus_method as string) as FocusLabel) : null,
      qcVerdict: r.qc_verdict as string | null,
      operatorStatus: r.operator_status as string,
      source: r.source as string,
      pixelSizeUm: r.pixel_size_um as number,
      magnification: r.magnification as number,
      na: r.na as number,
    });
  }
  return { stacks, skipped };
}

/** One human sentence per labelling method used, with counts. */
export function describeLabelMethods(stacks: ExportStack[]): string {
  const counts = new Map<string, number>();
  for (const s of stacks) {
    let k: string;
    if (s.zFocusSource === 'operator') k = 'z_focus set by the operator';
    else if (s.zFocusSource === 'given') k = `z_focus given by the source (${s.source})`;
    else if (s.zFocusSource === 'autofocus-verified') k = 'z_focus from a verified autofocus run';
    else if (s.focusMethod)
      k = `z_focus = peak of the ${s.focusMethod.metric} sharpness curve refined by a ${s.focusMethod.fit} fit`;
    else k = 'z_focus from an unknown method';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const parts = [...counts].map(([k, n]) => `${k} (${n} stack${n === 1 ? '' : 's'})`);
  return `d = z - z_focus (um, +z = objective away from the sample); ${parts.join('; ')}`;
}
