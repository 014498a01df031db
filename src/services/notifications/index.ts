/** Notifications to staff (SLA escalations, report-backs): stored once per key, pushed live, read and marked read. */
export { listNotifications, markNotificationRead, notify } from './notification.service.js';
