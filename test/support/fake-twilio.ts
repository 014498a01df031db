import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the adapter asked of Twilio's REST API. */
export interface TwilioRequest {
  method: string;
  path: string;
  form: Record<string, string>;
  authorization: string | undefined;
  /** When the request arrived (`performance.now()`), for the bench's latencies. */
  at: number;
}

export interface FakeTwilio {
  url: string;
  requests: TwilioRequest[];
  /** Calls that have ended: Twilio refuses to redirect them (400, code 21220). */
  gone: Set<string>;
  /** Numbers Twilio refuses to text (400, code 21614: not a mobile number). */
  unreachable: Set<string>;
  close: () => Promise<void>;
}

function hex32(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/**
 * A stand-in for Twilio's REST API (its cloud cannot be reached here): records each request and answers as Twilio
 * does for the two resources the adapter uses, a call's update (redirect) and a new message (SMS). Used by the
 * phone tests and by the bench.
 */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
  const gone = new Set<string>();
  const unreachable = new Set<string>();
  let messages = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      const form = Object.fromEntries(new URLSearchParams(raw));
      requests.push({ method: req.method ?? '', path, form, authorization: req.headers.authorization, at: performance.now() });
      res.setHeader('content-type', 'application/json');
      const answer = (status: number, body: object) => {
        res.statusCode = status;
        res.end(JSON.stringify(body));
      };
      const sid = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(path)?.[1];
      if (sid !== undefined) {
        if (gone.has(sid)) answer(400, { code: 21220, message: 'Call is not in-progress. Cannot redirect.', status: 400 });
        else answer(200, { sid, status: 'in-progress' });
        return;
      }
      if (/\/Accounts\/AC[0-9a-f]{32}\/Messages\.json$/.test(path) && req.method === 'POST') {
        const to = form.To ?? '';
        if (unreachable.has(to)) {
          answer(400, { code: 21614, message: `'To' number ${to} is not a valid mobile number`, status: 400 });
          return;
        }
        messages++;
        answer(201, { sid: `SM${hex32(messages)}`, status: 'queued', to, from: form.From ?? null, messaging_service_sid: form.MessagingServiceSid ?? null, body: form.Body ?? '' });
        return;
      }
      answer(404, { code: 20404, message: 'Not found', status: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    requests,
    gone,
    unreachable,
    close: () => new Promise((resolve) => server.close(() => { resolve(); })),
  };
}
