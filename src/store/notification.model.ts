import { Schema, type Connection, type Model, type Types } from 'mongoose';

export const NOTIFICATION_KINDS = ['sla_at_risk', 'sla_breached', 'first_response_breached', 'report_back', 'ticket_assigned', 'referral_received', 'call_missed'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Something a staff member must see: an escalation, a report-back, a new referral. Read by them only. */
export interface NotificationDoc {
  _id: Types.ObjectId;
  recipientId: Types.ObjectId;
  kind: NotificationKind;
  ticketId: Types.ObjectId;
  trackingCode: string;
  /** Spanish text shown to the staff member. */
  message: string;
  /** Makes a repeated job write the same notification once: `<kind>:<ticket>:<recipient>:<discriminator>`. */
  dedupeKey: string;
  createdAt: Date;
  readAt?: Date;
}

const notificationSchema = new Schema<NotificationDoc>(
  {
    recipientId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: NOTIFICATION_KINDS, required: true },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    trackingCode: { type: String, required: true },
    message: { type: String, required: true, maxlength: 1_000 },
    dedupeKey: { type: String, required: true },
    readAt: Date,
  },
  { collection: 'notifications', versionKey: false, timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);
notificationSchema.index({ dedupeKey: 1 }, { unique: true });
notificationSchema.index({ recipientId: 1, createdAt: -1, _id: -1 }, { name: 'q_recipient_created' });

export function registerNotificationModel(connection: Connection): Model<NotificationDoc> {
  return connection.model<NotificationDoc>('Notification', notificationSchema);
}
