/**
 * The profile editor's form state: one flat object of fields (numbers may be empty while typing), converted to and
 * from a HardwareProfile. The profile schema (shared with the backend) says what is wrong before anything is sent.
 */
import {
  HardwareProfile,
  type HardwareProfileInput,
  type SerialStageDriver,
} from '../../../../shared/hardware-profile';

export type CameraKind = 'sim' | 'ffmpeg' | 'folder';
export type StageDriver = 'sim' | SerialStageDriver;
export type XYDriver = 'none' | 'sim' | 'same-controller';
type Num = number | null;

export interface ProfileDraft {
  /** The profile the form was filled from: settings the form does not show (timeouts, feed rate, gain...) are kept. */
  base: HardwareProfile | null;
  name: string;
  notes: string;
  opticalSetupId: string;
  cameraKind: CameraKind;
  simWidth: Num;
  simHeight: Num;
  ffInput: 'v4l2' | 'dshow' | 'avfoundation' | 'lavfi';
  ffDevice: string;
  ffWidth: Num;
  ffHeight: Num;
  ffInputFormat: string;
  ffPixelFormat: 'rgb24' | 'gray' | 'gray16le';
  ffExposureMs: Num;
  cameraPixelSizeUm: Num;
  folder: string;
  driver: StageDriver;
  port: string;
  baud: Num;
  stepsPerUm: Num;
  zDirection: 1 | -1;
  minUm: Num;
  maxUm: Num;
  backlashUm: Num;
  settleMs: Num;
  xyDriver: XYDriver;
  xMinUm: Num;
  xMaxUm: Num;
  yMinUm: Num;
  yMaxUm: Num;
  xyStepsX: Num;
  xyStepsY: Num;
  xyDirX: 1 | -1;
  xyDirY: 1 | -1;
  xySettleMs: Num;
}

export function emptyDraft(): ProfileDraft {
  return {
    base: null,
    name: '',
    notes: '',
    opticalSetupId: '20x',
    cameraKind: 'ffmpeg',
    simWidth: null,
    simHeight: null,
    ffInput: 'v4l2',
    ffDevice: '/dev/video0',
    ffWidth: 1280,
    ffHeight: 720,
    ffInputFormat: '',
    ffPixelFormat: 'rgb24',
    ffExposureMs: null,
    cameraPixelSizeUm: 0.1725,
    folder: '',
    driver: 'grbl',
    port: '/dev/ttyUSB0',
    baud: null,
    stepsPerUm: null,
    zDirection: 1,
    minUm: -1000,
    maxUm: 1000,
    backlashUm: 0,
    settleMs: 0,
    xyDriver: 'none',
    xMinUm: -50_000,
    xMaxUm: 50_000,
    yMinUm: -50_000,
    yMaxUm: 50_000,
    xyStepsX: null,
    xyStepsY: null,
    xyDirX: 1,
    xyDirY: 1,
    xySettleMs: 0,
  };
}

const opt = (v: Num) => (v === null || Number.isNaN(v) ? undefined : v);
const optText = (v: string) => (v.trim() === '' ? undefined : v.trim());

export function draftFromProfile(p: HardwareProfile): ProfileDraft {
  const d = emptyDraft();
  d.base = p;
  d.name = p.name;
  d.notes = p.notes ?? '';
  d.opticalSetupId = p.opticalSetupId;
  d.cameraKind = p.camera.kind;
  if (p.camera.kind === 'sim') {
    d.simWidth = p.camera.width ?? null;
    d.simHeight = p.camera.height ?? null;
  } else if (p.camera.kind === 'ffmpeg') {
    d.ffInput = p.camera.input;
    d.ffDevice = p.camera.device;
    d.ffWidth = p.camera.width;
    d.ffHeight = p.camera.height;
    d.ffInputFormat = p.camera.inputFormat ?? '';
    d.ffPixelFormat = p.camera.pixelFormat;
    d.ffExposureMs = p.camera.exposureMs ?? null;
    d.cameraPixelSizeUm = p.camera.pixelSizeUm;
  } else {
    d.folder = p.camera.folder;
    d.cameraPixelSizeUm = p.camera.pixelSizeUm ?? null;
  }
  const s = p.stage;
  d.driver = s.driver;
  d.port = s.port ?? '';
  d.baud = s.baud ?? null;
  d.stepsPerUm = s.stepsPerUm ?? null;
  d.zDirection = s.zDirection;
  d.minUm = s.limits.minUm;
  d.maxUm = s.limits.maxUm;
  d.backlashUm = s.backlashUm;
  d.settleMs = s.settleMs;
  if (p.xyStage) {
    d.xyDriver = p.xyStage.driver;
    d.xMinUm = p.xyStage.limits.x.minUm;
    d.xMaxUm = p.xyStage.limits.x.maxUm;
    d.yMinUm = p.xyStage.limits.y.minUm;
    d.yMaxUm = p.xyStage.limits.y.maxUm;
    d.xyStepsX = p.xyStage.stepsPerUm?.x ?? null;
    d.xyStepsY = p.xyStage.stepsPerUm?.y ?? null;
    d.xyDirX = p.xyStage.direction.x;
    d.xyDirY = p.xyStage.direction.y;
    d.xySettleMs = p.xyStage.settleMs;
  }
  return d;
}

/** The profile the form describes (not yet validated). */
export function profileFromDraft(d: ProfileDraft): HardwareProfileInput {
  const base = d.base;
  // Fields of the same camera kind / stage driver that the form does not show are carried over.
  const keptCamera = base && base.camera.kind === d.cameraKind ? base.camera : {};
  const keptStage = base && (base.stage.driver === 'sim') === (d.driver === 'sim') ? base.stage : {};
  const keptXY = base?.xyStage && base.xyStage.driver === d.xyDriver ? base.xyStage : {};
  const camera = {
    ...keptCamera,
    ...cameraFromDraft(d),
  } as HardwareProfileInput['camera'];
  const serial = d.driver !== 'sim';
  return {
    name: d.name.trim(),
    camera,
    stage: {
      ...keptStage,
      driver: d.driver,
      ...(serial ? { port: d.port.trim(), baud: opt(d.baud), stepsPerUm: opt(d.stepsPerUm) } : {}),
      zDirection: d.zDirection,
      limits: { minUm: d.minUm ?? Number.NaN, maxUm: d.maxUm ?? Number.NaN },
      backlashUm: d.backlashUm ?? 0,
      settleMs: d.settleMs ?? 0,
    },
    ...(d.xyDriver === 'none'
      ? {}
      : {
          xyStage: {
            ...keptXY,
            driver: d.xyDriver,
            limits: {
              x: { minUm: d.xMinUm ?? Number.NaN, maxUm: d.xMaxUm ?? Number.NaN },
              y: { minUm: d.yMinUm ?? Number.NaN, maxUm: d.yMaxUm ?? Number.NaN },
            },
            ...(d.xyStepsX !== null && d.xyStepsY !== null ? { stepsPerUm: { x: d.xyStepsX, y: d.xyStepsY } } : {}),
            direction: { x: d.xyDirX, y: d.xyDirY },
            settleMs: d.xySettleMs ?? 0,
          },
        }),
    opticalSetupId: d.opticalSetupId.trim(),
    notes: optText(d.notes),
  };
}

function cameraFromDraft(d: ProfileDraft): HardwareProfileInput['camera'] {
  return d.cameraKind === 'sim'
    ? { kind: 'sim', width: opt(d.simWidth), height: opt(d.simHeight) }
    : d.cameraKind === 'ffmpeg'
      ? {
          kind: 'ffmpeg',
          input: d.ffInput,
          device: d.ffDevice.trim(),
          width: d.ffWidth ?? 0,
          height: d.ffHeight ?? 0,
          inputFormat: optText(d.ffInputFormat),
          pixelFormat: d.ffPixelFormat,
          pixelSizeUm: d.cameraPixelSizeUm ?? 0,
          exposureMs: opt(d.ffExposureMs),
        }
      : { kind: 'folder', folder: d.folder.trim(), pixelSizeUm: opt(d.cameraPixelSizeUm) };
}

/** The first problem with the form, in words ("stage.port: a serial stage needs a port"), or null. */
export function draftProblem(d: ProfileDraft): string | null {
  const r = HardwareProfile.safeParse(profileFromDraft(d));
  if (r.success) return null;
  const issue = r.error.issues[0];
  return `${issue.path.join('.') || 'profile'}: ${issue.message}`;
}
