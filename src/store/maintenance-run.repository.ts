import type { MaintenanceRunDoc } from './maintenance-run.model.js';
import type { Models } from './models.js';
import { storeCall } from './store-errors.js';

export type MaintenanceRun = MaintenanceRunDoc;

/** Where long maintenance tasks keep how far they went (see maintenance-run.model.ts). One writer per task at a time. */
export function createMaintenanceRunRepository(models: Models) {
  const { MaintenanceRun } = models;
  return {
    async get(task: string): Promise<MaintenanceRun | null> {
      return storeCall('maintenance run', () => MaintenanceRun.findById(task).lean());
    },

    /** Saves how far the run went (the whole record, replaced by `_id`). */
    async save(run: MaintenanceRun): Promise<void> {
      await storeCall('maintenance run', () => MaintenanceRun.replaceOne({ _id: run._id }, run, { upsert: true }));
    },
  };
}

export type MaintenanceRunRepository = ReturnType<typeof createMaintenanceRunRepository>;
