/**
 * createVirtualMicroscope(options): the default hardware of a fresh machine. A slide image seen through a
 * physically based brightfield microscope (src/hardware/optics) by a simulated camera on simulated stages.
 */
import {
  resolveOpticalSetup,
  validateSimOptions,
  type OpticalSetup,
  type SimOptions,
  type ResolvedSimOptions,
} from '../../shared/optics';
import { resolveCameraModel } from '../optics/camera-model';
import { DEFAULT_SLIDE_PATH } from '../optics/default-slide';
import { FrameEngine } from '../optics/engine';
import { resolveSample } from '../optics/sample';
import { Slide, type SlideInfo } from '../optics/slide';
import { FaultInjector } from './faults';
import { SimCamera } from './sim-camera';
import { SimXYStage } from './sim-xy-stage';
import { SimZStage } from './sim-z-stage';

export interface SimulatorTruth {
  zFocusUm: number;
  /** Mechanical z (backlash and settle ringing included). */
  zMechanicalUm: number;
  /** True defocus at the field centre: zMechanical - zFocus. */
  defocusUm: number;
  xUm: number;
  yUm: number;
  tiltUmPerMm: { xUmPerMm: number; yUmPerMm: number };
}

export interface VirtualMicroscope {
  camera: SimCamera;
  zStage: SimZStage;
  xyStage: SimXYStage;
  setup: OpticalSetup;
  slide: SlideInfo;
  options: ResolvedSimOptions;
  /** Render threads in use (0 = frames render on the calling thread). */
  renderThreads: number;
  faults: FaultInjector;
  truth(): SimulatorTruth;
  /** Moves the slide's true focus (e.g. to emulate drift between autofocus runs). */
  setFocusUm(zFocusUm: number): void;
  dispose(): Promise<void>;
}

export async function createVirtualMicroscope(input: SimOptions = {}): Promise<VirtualMicroscope> {
  const options = validateSimOptions(input);
  const setup = resolveOpticalSetup(options.setup);
  const slide = await Slide.load(options.slidePath ?? DEFAULT_SLIDE_PATH, { pixelSizeUm: options.slidePixelSizeUm });
  const width = options.roi?.width ?? setup.sensorWidthPx;
  const height = options.roi?.height ?? setup.sensorHeightPx;
  const engine = await FrameEngine.create(slide, setup, resolveSample(options.sample), {
    width,
    height,
    marginDefocusUm: 10,
    threads: options.renderThreads,
  });
  const faults = new FaultInjector(options.seed);
  let zFocusUm = options.zFocusUm;
  const zStage = new SimZStage({
    limits: options.zLimits,
    speedUmPerS: options.zSpeedUmPerS,
    settleMs: options.zSettleMs,
    settleAmplitudeUm: options.zSettleAmplitudeUm,
    backlashUm: options.zBacklashUm,
    startUm: options.zStart ?? Math.min(options.zLimits.maxUm, Math.max(options.zLimits.minUm, options.zFocusUm)),
    timeScale: options.timeScale,
    faults,
  });
  const xyStage = new SimXYStage({
    limits: options.xyLimits,
    speedUmPerS: options.xySpeedUmPerS,
    settleMs: options.xySettleMs,
    timeScale: options.timeScale,
    faults,
  });
  const camera = new SimCamera({
    setup,
    engine,
    zStage,
    xyStage,
    zFocusUm: () => zFocusUm,
    camera: resolveCameraModel(options.camera),
    tilt: options.tilt,
    model: options.model,
    seed: options.seed,
    timeScale: options.timeScale,
    faults,
  });
  await Promise.all([zStage.connect(), xyStage.connect(), camera.open()]);
  return {
    camera,
    zStage,
    xyStage,
    setup,
    slide: slide.info,
    options,
    renderThreads: engine.threads,
    faults,
    truth() {
      const zMech = zStage.mechanicalPosition();
      const xy = xyStage.positionNow();
      return {
        zFocusUm,
        zMechanicalUm: zMech,
        defocusUm: zMech - zFocusUm,
        xUm: xy.xUm,
        yUm: xy.yUm,
        tiltUmPerMm: { ...options.tilt },
      };
    },
    setFocusUm(z: number) {
      if (!Number.isFinite(z)) throw new Error(`Focus position must be finite, got ${z}`);
      zFocusUm = z;
    },
    async dispose() {
      await Promise.allSettled([camera.close(), zStage.disconnect(), xyStage.disconnect()]);
      await engine.dispose();
    },
  };
}
