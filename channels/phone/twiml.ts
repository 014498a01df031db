import twilio from 'twilio';
import type { IvrConfig, WaitAnnouncement } from '../../src/domain/ivr.js';

/*
 * The TwiML the phone channel answers with, built with twilio-node's VoiceResponse so it is always well-formed
 * XML. URLs are relative to the webhook Twilio called (`/webhooks/twilio/voice/...`), which Twilio resolves against
 * the URL it requested: no host is written into the answers.
 */

const { VoiceResponse } = twilio.twiml;

/** The Twilio queue callers wait in. Who is connected, and when, is decided by the core, not by its order. */
export const WAITING_QUEUE = 'atencion-vecino';

type SayAttributes = NonNullable<Parameters<InstanceType<typeof VoiceResponse>['say']>[0]>;

function voice(ivr: IvrConfig): SayAttributes {
  return { voice: ivr.say.voice as SayAttributes['voice'], language: ivr.say.language as SayAttributes['language'] };
}

/** The menu at `path`: optionally the greeting or the invalid-choice notice first, then the prompt, listening for a key or words. */
export function menuTwiml(ivr: IvrConfig, prompt: string, options: { path: string; attempt: number; greet?: boolean; invalid?: boolean }): string {
  const response = new VoiceResponse();
  if (options.greet) {
    response.say(voice(ivr), ivr.greeting);
    // Ley 29733: a caller whose call may be recorded is told so before anything else.
    if (ivr.recording.enabled) response.say(voice(ivr), ivr.recording.notice);
  }
  if (options.invalid) response.say(voice(ivr), ivr.invalidChoice);
  const query = new URLSearchParams({ path: options.path, attempt: String(options.attempt) });
  const gather = response.gather({
    input: ['dtmf', 'speech'],
    numDigits: 1,
    timeout: 6,
    speechTimeout: 'auto',
    language: ivr.speechLanguage as NonNullable<Parameters<typeof response.gather>[0]>['language'],
    action: `menu?${query.toString()}`,
    method: 'POST',
    // Silence also comes back to `menu`, which sends the caller to general attention.
    actionOnEmptyResult: true,
  });
  gather.say(voice(ivr), prompt);
  return response.toString();
}

/** A choice was made: the caller hears so and waits in the queue until the core connects them to an agent. */
export function queuedTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.queued);
  response.enqueue({ waitUrl: 'wait', waitUrlMethod: 'POST' }, WAITING_QUEUE);
  return response.toString();
}

/** Seconds of hold between announcements (Twilio asks the wait URL again once its TwiML has played). */
export const WAIT_ANNOUNCE_EVERY_SECONDS = 30;

/**
 * The wait URL's answer: the caller's place and the expected wait, then hold music or silence until the next
 * announcement. Before the core has the call in its queue (a second or two), only a short pause.
 */
export function waitTwiml(ivr: IvrConfig, announcement: WaitAnnouncement | null): string {
  const response = new VoiceResponse();
  if (announcement === null) {
    response.pause({ length: 3 });
    return response.toString();
  }
  // A key pressed during the announcement is a request to be called back (`wait-choice`).
  const speaker = announcement.callbackPossible ? response.gather({ input: ['dtmf'], numDigits: 1, timeout: 1, action: 'wait-choice', method: 'POST', actionOnEmptyResult: false }) : response;
  speaker.say(voice(ivr), ivr.waitPosition.replaceAll('{position}', String(announcement.position)));
  if (announcement.minutes !== undefined) speaker.say(voice(ivr), ivr.waitEstimate.replaceAll('{minutes}', String(announcement.minutes)));
  if (announcement.callbackPossible) speaker.say(voice(ivr), ivr.callbackOffer);
  if (ivr.holdMusicUrl !== undefined) response.play(ivr.holdMusicUrl);
  else response.pause({ length: WAIT_ANNOUNCE_EVERY_SECONDS });
  return response.toString();
}

/** The agent did not answer: the caller hears so and waits in the queue again, keeping their place in the core's. */
export function backInQueueTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.stillWaiting);
  response.enqueue({ waitUrl: 'wait', waitUrlMethod: 'POST' }, WAITING_QUEUE);
  return response.toString();
}

/** A call back is booked: the caller hears so and the call ends (the ticket keeps its place in the queue). */
export function callbackBookedTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.callbackConfirmed);
  response.hangup();
  return response.toString();
}

/**
 * An agent's call to a citizen (the TwiML App's voice URL): rings the number with the municipality's caller id, so
 * the citizen sees who calls. `answerOnBridge` keeps the agent hearing the ringing until the citizen answers.
 */
export function outgoingTwiml(callerId: string, to: string, recordFor?: { ticketId: string; staffId: string }): string {
  const response = new VoiceResponse();
  if (recordFor === undefined) {
    response.dial({ callerId, answerOnBridge: true, timeout: 30 }).number(to);
    return response.toString();
  }
  // Recorded for the ticket: the citizen hears the notice on answering, before the agent is bridged (`recording-notice`).
  const dial = response.dial({
    callerId,
    answerOnBridge: true,
    timeout: 30,
    record: 'record-from-answer-dual',
    recordingStatusCallback: `recording?${new URLSearchParams(recordFor).toString()}`,
    recordingStatusCallbackEvent: ['completed', 'absent'],
  });
  dial.number({ url: 'recording-notice', method: 'POST' }, to);
  return response.toString();
}

/** Played to a citizen an agent calls, once they answer, when the call is recorded (Ley 29733). */
export function recordingNoticeTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.recording.notice);
  return response.toString();
}

/** The call with the agent is over. */
export function hangupTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

/**
 * The agent hung up: the caller is asked to rate the attention with a key from 1 to 5 (`survey`, which knows the
 * ticket and the agent). Silence ends the call.
 */
export function surveyTwiml(ivr: IvrConfig, rate: { ticketId: string; staffId: string; attempt: number; invalid?: boolean }): string {
  const response = new VoiceResponse();
  if (rate.invalid) response.say(voice(ivr), ivr.survey.invalidAnswer);
  const query = new URLSearchParams({ ticketId: rate.ticketId, staffId: rate.staffId, attempt: String(rate.attempt) });
  const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: 8, action: `survey?${query.toString()}`, method: 'POST', actionOnEmptyResult: false });
  gather.say(voice(ivr), ivr.survey.question);
  response.hangup();
  return response.toString();
}

/** The caller rated the attention. */
export function surveyThanksTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.survey.thanks);
  response.hangup();
  return response.toString();
}

/** Outside business hours: the notice, then a voicemail (at most two minutes, ended by # or silence). */
export function closedTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.closed);
  // The action makes the ticket at once; the recording callback adds the file to its timeline once Twilio has it.
  response.record({
    action: 'voicemail',
    method: 'POST',
    maxLength: 120,
    playBeep: true,
    finishOnKey: '#',
    timeout: 8,
    recordingStatusCallback: 'recording',
    recordingStatusCallbackMethod: 'POST',
    recordingStatusCallbackEvent: ['completed', 'absent'],
  });
  // Twilio goes on here only when nothing was recorded.
  response.say(voice(ivr), ivr.noMessage);
  response.hangup();
  return response.toString();
}

/** The voicemail was recorded and handed to the core. */
export function voicemailSavedTwiml(ivr: IvrConfig): string {
  const response = new VoiceResponse();
  response.say(voice(ivr), ivr.voicemailSaved);
  response.hangup();
  return response.toString();
}
