import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, ERROR_CATALOGUE, isAppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { zodFields } from './validation.js';

/** body-parser marks its failures with a `type`; these are the client's fault, never a 500. */
const BODY_PARSER_ERRORS: Record<string, AppError['code']> = {
  'entity.parse.failed': 'MALFORMED_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'VALIDATION_FAILED',
  'request.size.invalid': 'VALIDATION_FAILED',
};

function bodyParserCode(err: unknown): AppError['code'] | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err) || typeof err.type !== 'string') return undefined;
  return BODY_PARSER_ERRORS[err.type];
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('ROUTE_NOT_FOUND', `No endpoint ${req.method} ${req.path}.`));
};

/** The one place where errors become HTTP answers: `{ error: { code, message, details? } }`. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let appErr: AppError;
    if (isAppError(err)) appErr = err;
    else if (err instanceof ZodError) appErr = new AppError('VALIDATION_FAILED', undefined, { fields: zodFields(err) });
    else {
      const code = bodyParserCode(err);
      if (code) appErr = new AppError(code);
      else {
        log.error({ err, method: req.method, path: req.path }, 'unhandled error');
        appErr = new AppError('INTERNAL');
      }
    }
    if (res.headersSent) return;
    // A dependency briefly away (503) or a throttle (429): say when trying again makes sense.
    if (appErr.retryable && (appErr.status === 503 || appErr.status === 429) && !res.getHeader('Retry-After')) {
      const after = appErr.details?.retryAfterSeconds;
      res.setHeader('Retry-After', typeof after === 'number' && Number.isInteger(after) && after > 0 ? String(after) : '1');
    }
    res.status(appErr.status).json({
      error: {
        code: appErr.code,
        message: appErr.message || ERROR_CATALOGUE[appErr.code].message,
        ...(appErr.details ? { details: appErr.details } : {}),
      },
    });
  };
}
