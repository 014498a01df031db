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

/** One problem with one field of the input; `path` is dotted, e.g. `citizen.emails.0`. */
export interface FieldProblem {
  path: string;
  message: string;
}

export type ErrorDetails = { fields?: FieldProblem[]; [key: string]: unknown };

export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly status: number;
  /** Whether the same operation may succeed if tried again later; fixed by the code's catalogue entry. */
  readonly retryable: boolean;

  constructor(
    readonly code: C,
    message?: string,
    readonly details?: ErrorDetails,
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.status = ERROR_CATALOGUE[code].status;
    this.retryable = ERROR_CATALOGUE[code].retryable;
  }
}

export function appError(code: ErrorCode, message?: string, details?: ErrorDetails): AppError {
  return new AppError(code, message, details);
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

type ErrorFactory<C extends ErrorCode> = (message?: string, details?: ErrorDetails) => AppError<C>;

/** `ILLEGAL_TRANSITION` → `illegalTransition`. */
type FactoryName<C extends string> = C extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<FactoryName<Tail>>}` : Lowercase<C>;

function factory<C extends ErrorCode>(code: C): ErrorFactory<C> {
  return (message, details) => new AppError(code, message, details);
}

/**
 * One factory per catalogue entry, e.g. `throw errors.conflict('The queue is busy; try again.')`. The type
 * demands exactly one per code, under its own name, so a new catalogue entry cannot be forgotten here.
 */
export const errors = {
  validationFailed: factory('VALIDATION_FAILED'),
  malformedJson: factory('MALFORMED_JSON'),
  unsupportedMediaType: factory('UNSUPPORTED_MEDIA_TYPE'),
  payloadTooLarge: factory('PAYLOAD_TOO_LARGE'),
  unauthenticated: factory('UNAUTHENTICATED'),
  forbidden: factory('FORBIDDEN'),
  notFound: factory('NOT_FOUND'),
  routeNotFound: factory('ROUTE_NOT_FOUND'),
  methodNotAllowed: factory('METHOD_NOT_ALLOWED'),
  duplicate: factory('DUPLICATE'),
  conflict: factory('CONFLICT'),
  illegalTransition: factory('ILLEGAL_TRANSITION'),
  closed: factory('CLOSED'),
  rateLimited: factory('RATE_LIMITED'),
  serviceUnavailable: factory('SERVICE_UNAVAILABLE'),
  messageRefused: factory('MESSAGE_REFUSED'),
  internal: factory('INTERNAL'),
} as const satisfies { [C in ErrorCode as FactoryName<C>]: ErrorFactory<C> };
