/**
 * The service container: builds the backend once (hardware, tasks, events, and - as later issues land - dataset,
 * models and autofocus) and hands every front door the same dispatcher. No Electron import here or below.
 */
import type { FrontDoor } from '../../shared/schemas/app';
import { createDispatcher, type Dispatch } from '../api/dispatch';
import { createHandlers } from '../api/handlers';
import { EventBus } from '../events';
import { HardwareService } from '../hardware/hardware-service';
import type { Microscope } from '../hardware/microscope';
import { createPlaceholderMicroscope } from '../hardware/placeholder-microscope';
import { TaskManager } from '../tasks/task-manager';
import { ModelService } from './model-service';
import { dataDir, shippedModelsDir, userModelsDir } from '../paths';

export interface ServiceOptions {
  frontDoor: FrontDoor;
  /** Devices to use; the default is the simulated microscope. */
  microscope?: Microscope;
  modelDirs?: string[];
  /** Where imported (retrained) models go; the default is <data folder>/models. */
  userModelsDir?: string;
  /** onnxruntime intra-op threads (default: the engine's choice). */
  inferenceThreads?: number;
}

export interface Services {
  frontDoor: FrontDoor;
  bus: EventBus;
  tasks: TaskManager;
  hardware: HardwareService;
  models: ModelService;
  dataDir: string;
  modelDirs: string[];
  dispatch: Dispatch;
  close(): Promise<void>;
}

export async function createServices(options: ServiceOptions): Promise<Services> {
  const bus = new EventBus();
  const tasks = new TaskManager(bus);
  const microscope = options.microscope ?? (await createPlaceholderMicroscope());
  const hardware = new HardwareService(microscope, bus);
  const userDir = options.userModelsDir ?? userModelsDir();
  const modelDirs = options.modelDirs ?? [userDir, shippedModelsDir()];
  const models = new ModelService(modelDirs, userDir, options.inferenceThreads);
  const services: Services = {
    frontDoor: options.frontDoor,
    bus,
    tasks,
    hardware,
    dataDir: dataDir(),
    models,
    modelDirs,
    dispatch: undefined as unknown as Dispatch,
    async close() {
      await tasks.shutdown();
      await Promise.allSettled([hardware.devices.close(), models.close()]);
    },
  };
  services.dispatch = createDispatcher(createHandlers(services));
  return services;
}
