/**
 * The one error catalogue. Every error a client can see has a stable machine `code` (clients and tests match
 * on it, never on message text), an HTTP status, a default human message, and whether trying the same thing
 * again later can succeed (`retryable`). Workers choose between a retry and a permanent failure by that flag
 * alone, never by the code or the message.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.', retryable: false },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON.', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON.', retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.', retryable: false },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.', retryable: false },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.', retryable: false },
  NOT_FOUND: { status: 404, message: 'Not found.', retryable: false },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint.', retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this endpoint.', retryable: false },
  DUPLICATE: { status: 409, message: 'It already exists.', retryable: false },
  // A lost race: someone else changed the record in between. A fresh read and another attempt can succeed.
  CONFLICT: { status: 409, message: 'It was changed by someone else; reload and try again.', retryable: true },
  ILLEGAL_TRANSITION: { status: 409, message: 'That change is not allowed in the current state.', retryable: false },
  // Outside the hours something is offered in (a counter service after its last turn, the office on a holiday).
  CLOSED: { status: 409, message: 'Not offered at this time.', retryable: false },
  RATE_LIMITED: { status: 429, message: 'Too many requests.', retryable: true },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A service the system depends on is not answering.', retryable: true },
  // A provider (Twilio) refused a message for good: not a mobile, an invalid number, the citizen texted STOP.
  MESSAGE_REFUSED: { status: 422, message: 'The message provider refused this message.', retryable: false },
  // A bug on our side: the same input meets the same bug.
  INTERNAL: { status: 500, message: 'Something went wrong on our side.', retryable: false },
} as const satisfies Record<string, { status: number; message: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The reasons a client or a worker can act on, each reported under one code (on the wire as `details.reason`; the
 * status and retryability are the code's). A client that must do something different for one of them (reload the
 * counter, sign out elsewhere first, ask for the extension earlier) matches the reason, never the message.
 */
export const ERROR_REASONS = {
  // The live state (Redis) is being rebuilt from the store after Redis lost it.
  live_state_rebuilding: { code: 'SERVICE_UNAVAILABLE', message: 'The live queue is being rebuilt; try again in a moment.' },

  // Agents and their work.
  offline: { code: 'CONFLICT', message: 'Set your presence before taking work.' },
  at_capacity: { code: 'CONFLICT', message: 'At full capacity on that channel.' },
  not_agent: { code: 'FORBIDDEN', message: 'Only staff who take tickets do this.' },
  agent_offline: { code: 'CONFLICT', message: 'That person is offline.' },
  disabled: { code: 'CONFLICT', message: 'This account is disabled.' },
  counter_turn: { code: 'ILLEGAL_TRANSITION', message: 'A turn of the counter hall is called from a counter.' },

  // A job that waits for another one to finish first (it is retried).
  attempt_under_way: { code: 'CONFLICT', message: 'An attempt to send this message is under way.' },
  intake_pending: { code: 'CONFLICT', message: 'The ticket of this call is not taken in yet.' },
  send_pending: { code: 'CONFLICT', message: 'The SMS reported on is not stored as sent yet.' },
  callback_pending: { code: 'CONFLICT', message: 'The call back this caller asked for is not booked yet.' },
  ticket_pending: { code: 'CONFLICT', message: 'The ticket of this recording is not stored yet.' },

  // Counters (ventanillas) of the hall.
  not_signed_in: { code: 'ILLEGAL_TRANSITION', message: 'Sign in to this counter first.' },
  counter_of_another: { code: 'FORBIDDEN', message: 'Someone else is signed in to this counter.' },
  counter_taken: { code: 'CONFLICT', message: 'Someone else is signed in to this counter.' },
  signed_in_elsewhere: { code: 'ILLEGAL_TRANSITION', message: 'You are signed in to another counter: sign out of it first.' },
  no_current_turn: { code: 'ILLEGAL_TRANSITION', message: 'The counter has no turn now: call the next one.' },
  counter_paused: { code: 'ILLEGAL_TRANSITION', message: 'The counter is paused: resume it to call turns.' },
  counter_busy: { code: 'ILLEGAL_TRANSITION', message: 'Finish, redirect, park or close as a no-show the turn at the counter first.' },
  already_serving: { code: 'ILLEGAL_TRANSITION', message: 'The citizen is already being served.' },
  recall_limit: { code: 'ILLEGAL_TRANSITION', message: 'Announced as often as the hall allows: close it as a no-show.' },
  recalls_pending: { code: 'ILLEGAL_TRANSITION', message: 'Announce the turn again first.' },
  counter_changed: { code: 'CONFLICT', message: 'The counter changed meanwhile; reload it.' },
  hall_busy: { code: 'CONFLICT', message: 'The hall is busy; call again.' },

  // Kiosks and their turns.
  missing_key: { code: 'UNAUTHENTICATED', message: 'A kiosk device key is required (X-Kiosk-Key).' },
  invalid_key: { code: 'UNAUTHENTICATED', message: 'The kiosk device key is not valid.' },
  revoked: { code: 'UNAUTHENTICATED', message: 'This kiosk device key was revoked.' },
  device_rate_limit: { code: 'RATE_LIMITED', message: 'Demasiadas solicitudes desde este módulo; intente nuevamente en unos segundos.' },
  turn_sequence: { code: 'SERVICE_UNAVAILABLE', message: 'The turn numbers are busy; try again.' },
  request_id_reused: { code: 'DUPLICATE', message: 'This request id already issued a turn for another service.' },
  dni_length: { code: 'VALIDATION_FAILED', message: 'The DNI must have 8 digits.' },
  dni_not_digits: { code: 'VALIDATION_FAILED', message: 'The DNI must be digits.' },
  dni_check_digit: { code: 'VALIDATION_FAILED', message: 'The check character of the DNI is wrong.' },
  office_closed: { code: 'CLOSED', message: 'The counter hall is closed now.' },
  last_turn_given: { code: 'CLOSED', message: 'The service gives no more turns today.' },

  // The prórroga (extension) of a request for public information, Ley 27806 (see src/domain/sla-extension.ts).
  not_extendable: { code: 'ILLEGAL_TRANSITION', message: 'Only the term of an open request for public information, with its SLA started, can be extended.' },
  clock_paused: { code: 'ILLEGAL_TRANSITION', message: 'The SLA clock is paused while the office waits for the citizen; extend it once it runs again.' },
  already_extended: { code: 'ILLEGAL_TRANSITION', message: 'The term of this request was already extended; the law allows it once.' },
  notice_period_over: { code: 'ILLEGAL_TRANSITION', message: 'The citizen had to be told of an extension within the first business days after filing; that period is over.' },

  // Webhooks.
  invalid_signature: { code: 'FORBIDDEN', message: 'The request does not carry a valid Twilio signature.' },
} as const satisfies Record<string, { code: ErrorCode; message: string }>;

export type ErrorReason = keyof typeof ERROR_REASONS;

/** What an error is raised as: a code of the catalogue, or a reason (which names its code). */
export type ErrorKind = ErrorCode | ErrorReason;

/** One problem with one field of the input; `path` is dotted, e.g. `citizen.emails.0`. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** What a call site tells of an error besides its kind; a `reason` comes from the catalogue, never from a call site. */
export type ErrorDetails = { fields?: FieldProblem[]; reason?: never; [key: string]: unknown };

/** What an error carries besides its code: the call site's details, and the catalogue's reason when raised as one. */
export type AppErrorDetails = { fields?: FieldProblem[]; reason?: ErrorReason; [key: string]: unknown };

function isReason(kind: ErrorKind): kind is ErrorReason {
  return Object.hasOwn(ERROR_REASONS, kind);
}

/**
 * An error of the catalogue, and the one way to raise one: `throw new AppError('at_capacity')`, or with a message of
 * the call site's and details, `throw new AppError('NOT_FOUND', 'No such ticket.')`.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** The catalogue's reason, when the error was raised as one (also `details.reason` on the wire). */
  readonly reason: ErrorReason | undefined;
  readonly status: number;
  /** Whether the same operation may succeed if tried again later; fixed by the code's catalogue entry. */
  readonly retryable: boolean;
  readonly details: AppErrorDetails | undefined;

  constructor(kind: ErrorKind, message?: string, details?: ErrorDetails) {
    const reason = isReason(kind) ? kind : undefined;
    const code = isReason(kind) ? ERROR_REASONS[kind].code : kind;
    super(message ?? (reason === undefined ? ERROR_CATALOGUE[code].message : ERROR_REASONS[reason].message));
    this.name = 'AppError';
    this.code = code;
    this.reason = reason;
    this.status = ERROR_CATALOGUE[code].status;
    this.retryable = ERROR_CATALOGUE[code].retryable;
    this.details = reason === undefined ? details : { ...details, reason };
  }
}

/** Whether `err` is an error of the catalogue, and, when `kind` is given, raised as that code or that reason. */
export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  if (!(err instanceof AppError)) return false;
  return kind === undefined || err.code === kind || err.reason === kind;
}
