/**
 * The phone channel's use cases once a caller is queued: putting an assigned call through, how ringing an agent ended,
 * the end of a call, what a waiting caller is told, call backs, agents' own calls, the post-call rating and
 * recordings. The webhook side of each only queues a job.
 */
export { bookCallback, callWaitAnnouncement, connectAssignedCall, handleCallEnded, handleDialResult, recordCallRecording, recordOutgoingCall, recordSurveyAnswer, requestCallback, submitCallEnded, submitDialResult, submitOutgoingCall, submitRecording, submitSurveyAnswer } from './phone-call.service.js';
