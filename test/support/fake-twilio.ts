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
  /** Numbers whose next message Twilio takes but whose answer is lost (500), as in a timeout: once each. */
  answerLost: Set<string>;
  /** The messages Twilio took, oldest first, as its Messages list shows them. */
  messages: FakeMessage[];
  close: () => Promise<void>;
}

/** A message as Twilio's API shows it (snake_case JSON). */
export interface FakeMessage {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: string;
  direction: string;
  date_created: string;
  status_callback: string | null;
}

function hex32(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/**
 * A stand-in for Twilio's REST API (its cloud cannot be reached here): records each request and answers as Twilio
 * does for the resources the adapter uses, a call's update (redirect), a new message (SMS) and the list of messages
 * to a number. Used by the phone tests and by the bench.
 */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
  const gone = new Set<string>();
  const unreachable = new Set<string>();
  const answerLost = new Set<string>();
  const messages: FakeMessage[] = [];
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
      const [route = '', query = ''] = path.split('?');
      if (/\/Accounts\/AC[0-9a-f]{32}\/Messages\.json$/.test(route) && req.method === 'POST') {
        const to = form.To ?? '';
        if (unreachable.has(to)) {
          answer(400, { code: 21614, message: `'To' number ${to} is not a valid mobile number`, status: 400 });
          return;
        }
        const message: FakeMessage = {
          sid: `SM${hex32(messages.length + 1)}`,
          to,
          from: form.From ?? null,
          messaging_service_sid: form.MessagingServiceSid ?? null,
          body: form.Body ?? '',
          status: 'queued',
          direction: 'outbound-api',
          date_created: new Date().toUTCString(),
          status_callback: form.StatusCallback ?? null,
        };
        messages.push(message);
        if (answerLost.delete(to)) {
          answer(500, { code: 20500, message: 'Internal Server Error', status: 500 });
          return;
        }
        answer(201, message);
        return;
      }
      if (/\/Accounts\/AC[0-9a-f]{32}\/Messages\.json$/.test(route) && req.method === 'GET') {
        // Newest first, filtered by recipient, one page (what the adapter asks for).
        const params = new URLSearchParams(query);
        const to = params.get('To');
        const size = Number(params.get('PageSize') ?? '50');
        const found = messages.filter((m) => to === null || m.to === to).reverse().slice(0, size);
        answer(200, { messages: found, page: 0, page_size: size, start: 0, end: found.length, first_page_uri: route, next_page_uri: null, previous_page_uri: null, uri: path });
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
    answerLost,
    messages,
    close: () => new Promise((resolve) => server.close(() => { resolve(); })),
  };
}

/**
 * The phone channel's environment for a test system: made-up credentials of the right shapes, the public URL Twilio
 * signs over and the auth token that signs. Point `TWILIO_API_BASE_URL` at a {@link FakeTwilio} beside it.
 */
export function twilioTestEnv(publicBaseUrl: string, authToken: string) {
  return {
    PUBLIC_BASE_URL: publicBaseUrl,
    TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_API_KEY_SID: `SK${'2'.repeat(32)}`,
    TWILIO_API_KEY_SECRET: 'a-secret-of-the-api-key',
    TWILIO_TWIML_APP_SID: `AP${'3'.repeat(32)}`,
    TWILIO_CALLER_ID: '+5114630000',
  };
}
