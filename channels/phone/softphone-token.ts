import twilio from 'twilio';
import type { PhoneChannelEnv } from '../../src/config/env.js';
import { ASSIGNABLE_ROLES } from '../../src/domain/staff.js';
import { AppError } from '../../src/errors.js';
import type { StaffActor } from '../../src/services/staff/index.js';

const { AccessToken } = twilio.jwt;

/**
 * How long a softphone token lasts. The browser's Voice SDK announces the end (`tokenWillExpire`) and asks for a
 * new one; a token that leaks stops working within the hour, and disabling an agent stops the next renewal.
 */
export const SOFTPHONE_TOKEN_TTL_SECONDS = 3_600;

export interface SoftphoneToken {
  token: string;
  /** The Twilio Client identity: the staff id, which is what the core dials when it connects a call. */
  identity: string;
  expiresAt: string;
}

/**
 * A Twilio Voice access token for an agent's browser softphone: it may receive calls for its identity (the calls
 * the core connects to this agent) and place calls through the TwiML App (calling a citizen back). Only staff who
 * take tickets get one.
 */
export function issueSoftphoneToken(actor: StaffActor, phone: PhoneChannelEnv): SoftphoneToken {
  if (!actor.roles.some((role) => (ASSIGNABLE_ROLES as readonly string[]).includes(role))) {
    throw new AppError('not_agent', 'Only staff who take calls get a softphone.');
  }
  const token = new AccessToken(phone.accountSid, phone.apiKeySid, phone.apiKeySecret, {
    identity: actor.id,
    ttl: SOFTPHONE_TOKEN_TTL_SECONDS,
  });
  token.addGrant(new AccessToken.VoiceGrant({ outgoingApplicationSid: phone.twimlAppSid, incomingAllow: true }));
  return {
    token: token.toJwt(),
    identity: actor.id,
    expiresAt: new Date(Date.now() + SOFTPHONE_TOKEN_TTL_SECONDS * 1000).toISOString(),
  };
}
