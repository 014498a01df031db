import { isAppError, type ErrorCode } from '../../src/errors.js';
import type { Session, StaffActor } from '../../src/services/staff/index.js';
import type { Staff } from '../../src/store/staff.repository.js';

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the answer had no JSON body. */
  body: unknown;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON unless `raw` is given. */
  json?: unknown;
  /** Sent verbatim with `contentType`. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One HTTP request against the system under test. */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The `error.code` of an error answer (undefined for success answers). */
export function errorCode(answer: Answer): string | undefined {
  const body = answer.body as { error?: { code?: string } } | undefined;
  return body?.error?.code;
}

/** `error.details.fields[].path` of a VALIDATION_FAILED answer. */
export function fieldPaths(answer: Answer): string[] {
  const body = answer.body as { error?: { details?: { fields?: { path: string }[] } } } | undefined;
  return (body?.error?.details?.fields ?? []).map((f) => f.path);
}

export async function loginAs(baseUrl: string, username: string, password: string): Promise<Session> {
  const answer = await call(baseUrl, 'POST', '/api/v1/auth/login', { json: { username, password } });
  if (answer.status !== 200) throw new Error(`login of ${username} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as Session;
}

/** A staff member as the use-cases see the caller. */
export function actorOf(staff: Staff): StaffActor {
  return { kind: 'staff', id: staff._id.toString(), roles: staff.roles, units: staff.units };
}

/** The catalogue code `work` was refused with; fails the test when it was not refused. */
export async function refusal(work: Promise<unknown>): Promise<ErrorCode> {
  try {
    await work;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  throw new Error('the use-case did what it should have refused');
}
