import { Agent, request } from 'node:http';
import { TooSlow } from './phase.js';

export interface JsonAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
  /** The answer's `content-type` (a webhook answers TwiML, `text/xml`). */
  contentType: string | undefined;
}

/** How long the harness waits for any answer (logins, take-next); a system that slow is reported, not waited on. */
const ANSWER_TIMEOUT_MS = 60_000;

/** JSON (or a form, as Twilio posts) over HTTP/1.1 keep-alive connections from a bounded pool, as a load generator needs. */
export class HttpClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 64) {
    this.base = new URL(baseUrl);
    // With a timeout the agent honours the server's `Keep-Alive: timeout=5` and drops an idle socket a second before
    // the server closes it; without one, a request sent after about 5 s of quiet (the email phase leaves the API idle)
    // can go out on a socket the server is closing, and fail with "socket hang up".
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: ANSWER_TIMEOUT_MS });
  }

  /**
   * One request with a JSON body or an url-encoded `form`; `signal` abandons it (the promise rejects), so a phase
   * never waits past its deadline.
   */
  request(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<JsonAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: string | undefined;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.base.hostname, port: this.base.port, path, method, headers, agent: this.agent, ...(options.signal ? { signal: options.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, contentType: res.headers['content-type'] });
          });
        },
      );
      req.setTimeout(ANSWER_TIMEOUT_MS, () => {
        req.destroy(new TooSlow(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s to ${method} ${path}`));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A field of a JSON answer by path, when it is a string (answers are untyped input to the harness). */
export function stringAt(body: unknown, ...path: string[]): string | undefined {
  let node: unknown = body;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = Reflect.get(node, key);
  }
  return typeof node === 'string' ? node : undefined;
}
