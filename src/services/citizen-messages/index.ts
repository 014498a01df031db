/**
 * What the office tells citizens, on their channel: acknowledgements, agents' replies, legal notices and status changes
 * by mail (SMTP), the tracking code and status changes by SMS (Twilio). Each message is one job and one record named
 * by the same key, so it is sent once whatever repeats; which channel tells a citizen of a change is decided once.
 */
export { requestAcknowledgement, requestNoticeEmail, requestReplyEmail, sendCitizenEmail, type MailToAcknowledge } from './email.service.js';
export { recordSmsReport, requestCallSms, sendCitizenSms, submitSmsReport } from './sms.service.js';
export { tellCitizenOfChange } from './status-notice.service.js';
