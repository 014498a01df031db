import { Schema, type Connection, type Model } from 'mongoose';

/**
 * How far a long maintenance task over the whole store has gone (the rebuild of the read index, an upgrade): the
 * task's name, the version of what it builds, its phase and the last `_id` it finished, so that a run that stops
 * (a crash, a deploy, Ctrl-C) goes on from there instead of starting again.
 */
export interface MaintenanceRunDoc {
  /** The task's name. */
  _id: string;
  /** The version of what the task builds; a run of an older version is started again. */
  version: number;
  phase: string;
  /** The last `_id` the current phase finished. */
  after?: string;
  /** Documents the run has gone through so far, all phases. */
  processed: number;
  /** What the run changed so far, by kind (postings written, tickets fixed, ...). */
  changed: Record<string, number>;
  startedAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

const maintenanceRunSchema = new Schema<MaintenanceRunDoc>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    phase: { type: String, required: true },
    after: { type: String },
    processed: { type: Number, required: true },
    changed: { type: Schema.Types.Mixed, required: true },
    startedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    finishedAt: { type: Date },
  },
  { collection: 'maintenance_runs', versionKey: false, strict: 'throw', minimize: false },
);

export function registerMaintenanceRunModel(connection: Connection): Model<MaintenanceRunDoc> {
  return connection.model<MaintenanceRunDoc>('MaintenanceRun', maintenanceRunSchema);
}
