/**
 * The service container: builds the backend once (hardware, tasks, events, and - as later issues land - dataset,
 * models and autofocus) and hands every front door the same dispatcher. No Electron import here or below.
 */
import type { FrontDoor } from '../../shared/schemas/app';
import type { SimOptions } from '../../shared/optics';
import { createDispatcher, type Dispatch } from '../api/dispatch';
import { createHandlers } from '../api/handlers';
import { EventBus } from '../events';
import { HardwareService } from '../hardware/hardware-service';
import type { Microscope } from '../hardware/microscope';
import { HardwareManager } from '../hardware/hardware-manager';
import { CalibrationService } from '../hardware/calibration-service';
import { openStartupDevices } from '../hardware/startup';
import { TaskManager } from '../tasks/task-manager';
import { ModelService } from './model-service';
import { DatasetService } from './dataset-service';
import { createAutofocusService } from '../autofocus/app';
import type { AutofocusService } from '../autofocus/service';
import { dataDir, shippedModelsDir, userModelsDir } from '../paths';
import { join } from 'node:path';

export interface ServiceOptions {
  frontDoor: FrontDoor;
  /** Devices to use; the default is the virtual microscope. */
  microscope?: Microscope;
  /** Options of the default virtual microscope (setup, slide, seed, time scale...). */
  sim?: SimOptions;
  modelDirs?: string[];
  /** Where imported (retrained) models go; the default is <data folder>/models. */
  userModelsDir?: string;
  /** onnxruntime intra-op threads (default: the engine's choice). */
  inferenceThreads?: number;
  /** The dataset's SQLite file (CLI --db); the default is <data folder>/dataset/focus-station.sqlite. */
  databasePath?: string;
  /** Hardware profiles and the remembered last profile; the default is <data folder>/hardware. */
  hardwareDir?: string;
  /** Reopen the last hardware profile at start (default: yes, except for CLI commands). */
  restoreProfile?: boolean;
}

export interface Services {
  frontDoor: FrontDoor;
  bus: EventBus;
  tasks: TaskManager;
  hardware: HardwareService;
  profiles: HardwareManager;
  calibration: CalibrationService;
  models: ModelService;
  dataset: DatasetService;
  autofocus: AutofocusService;
  dataDir: string;
  modelDirs: string[];
  dispatch: Dispatch;
  close(): Promise<void>;
}

export async function createServices(options: ServiceOptions): Promise<Services> {
  const bus = new EventBus();
  const tasks = new TaskManager(bus);
  const hardwareDir = options.hardwareDir ?? join(dataDir(), 'hardware');
  const startup = options.microscope
    ? { microscope: options.microscope, link: undefined, current: null }
    : await openStartupDevices({
        dir: hardwareDir,
        sim: options.sim,
        restore: options.restoreProfile ?? options.frontDoor !== 'cli',
      });
  const hardware = new HardwareService(startup.microscope, bus, startup.link);
  const profiles = new HardwareManager({
    dir: hardwareDir,
    hardware,
    tasks,
    sim: options.sim,
    current: startup.current,
  });
  const userDir = options.userModelsDir ?? userModelsDir();
  const modelDirs = options.modelDirs ?? [userDir, shippedModelsDir()];
  const models = new ModelService(modelDirs, userDir, options.inferenceThreads);
  const services: Services = {
    frontDoor: options.frontDoor,
    bus,
    tasks,
    hardware,
    profiles,
    calibration: new CalibrationService({ tasks, hardware, profiles }),
    dataDir: dataDir(),
    models,
    dataset: new DatasetService(options.databasePath),
    modelDirs,
    autofocus: undefined as unknown as AutofocusService,
    dispatch: undefined as unknown as Dispatch,
    async close() {
      await tasks.shutdown();
      await Promise.allSettled([hardware.devices.close(), models.close()]);
      services.dataset.close();
    },
  };
  services.autofocus = createAutofocusService(services);
  services.dispatch = createDispatcher(createHandlers(services));
  return services;
}
