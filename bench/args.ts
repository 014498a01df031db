import { parseArgs } from 'node:util';

/** What one run measures; every field has a default, `--smoke` swaps in a tiny set. */
export interface BenchOptions {
  /** History sizes, run one after the other on fresh databases, smallest first. */
  history: number[];
  /** Arrivals per second of the fixed-rate pipeline phase. */
  rate: number;
  /** Seconds the fixed-rate pipeline phase sends for. */
  durationSeconds: number;
  /** Rates of the step search for the highest sustained rate (empty: no search). */
  steps: number[];
  stepSeconds: number;
  /** Tickets waiting when take-next is measured. */
  waiting: number;
  /** Take-next calls measured. */
  takeNextSamples: number;
  /** Signed Twilio webhooks per second in the phone phase. */
  phoneRate: number;
  /** Seconds of webhooks in the phone phase. */
  phoneSeconds: number;
  /** Phone agents who become available with callers waiting (at most one per waiting caller). */
  phoneAgents: number;
  /** Turns waiting in the counter hall (across its 20 services) when take-a-turn and call-next are measured. */
  kioskWaiting: number;
  /** Take-a-turn requests measured. */
  kioskTurns: number;
  /** Call-next requests measured. */
  kioskCalls: number;
  /** Messages in the Dovecot mailbox the email phase takes in. */
  emailMessages: number;
  /** Staff reading in the staff-reads phase, contacts filed per second meanwhile, and for how long. */
  readers: number;
  readsRate: number;
  readsSeconds: number;
  budgetMinutes: number;
  /** Where the JSON goes; undefined: `bench/results/<date>-<commit>.json`. */
  jsonPath: string | undefined;
  /** Records a CPU profile of this process during each pipeline phase. */
  profile: boolean;
  smoke: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Measures the contact pipeline beside the raw ceilings of the store, BullMQ and Socket.IO, take-next, the phone
channel's webhooks and connects, the counter channel's take-a-turn and call-next, the email channel, and what staff
read all day while contacts arrive, at each history size.

  --history N[,M...]     closed tickets preloaded per run, each with its citizen, events and interactions
                         (default 1000,100000; smoke 200)
  --rate R               arrivals per second of the pipeline phase (default 100; smoke 20)
  --duration S           seconds of arrivals in the pipeline phase (default 60; smoke 3)
  --steps R1,R2,...|none rates of the sustained-rate search (default 100,200,400,800; smoke none)
  --step-seconds S       seconds per step of the search (default 10)
  --waiting N            tickets waiting when take-next is measured (default 10000; smoke 200)
  --take-next N          take-next calls measured (default 300; smoke 20)
  --phone-rate R         signed Twilio webhooks per second in the phone phase (default 50)
  --phone-seconds S      seconds of webhooks in the phone phase (default 20; smoke 4)
  --phone-agents N       phone agents who become available with callers waiting (default 100; smoke 5)
  --kiosk-waiting N      turns waiting across the hall's 20 services (default 10000; smoke 200)
  --kiosk-turns N        take-a-turn requests measured (default 300; smoke 20)
  --kiosk-calls N        call-next requests measured (default 300; smoke 20)
  --email-messages N     messages in the mailbox the email phase takes in (default 2000; smoke 100)
  --readers N            staff reading in the staff-reads phase (default 20; smoke 4)
  --reads-rate R         contacts filed per second while they read (default 50; smoke 10)
  --reads-seconds S      seconds of the staff-reads phase (default 30; smoke 4)
  --budget-minutes M     the whole run stops within this (default 20; smoke 1)
  --json PATH            where the results go (default bench/results/<date>-<commit>.json)
  --profile              CPU profiles of this process and of the embedded FerretDB during each pipeline
                         phase (next to the JSON)
  --smoke                a tiny run (< 60 s) for CI: fails only if a phase errors, not on missed targets
  --help                 this text

Against your own servers: MONGODB_URI=... REDIS_URL=... npm run bench (a fresh database per history size,
dropped at the end, and a unique Redis key prefix, removed at the end).
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

function positiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: "${text}" is not a whole number`);
  const value = Number(text);
  if (value < 1 || value > max) throw new UsageError(`${flag}: ${value} is outside 1..${max}`);
  return value;
}

function intList(flag: string, text: string, max: number): number[] {
  const values = text.split(',').map((part) => positiveInt(flag, part, max));
  if (new Set(values).size !== values.length) throw new UsageError(`${flag}: repeated value`);
  return values.sort((a, b) => a - b);
}

/** Parses the command line; throws {@link UsageError} on anything it does not understand. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        history: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        steps: { type: 'string' },
        'step-seconds': { type: 'string' },
        waiting: { type: 'string' },
        'take-next': { type: 'string' },
        'phone-rate': { type: 'string' },
        'phone-seconds': { type: 'string' },
        'phone-agents': { type: 'string' },
        'kiosk-waiting': { type: 'string' },
        'kiosk-turns': { type: 'string' },
        'kiosk-calls': { type: 'string' },
        'email-messages': { type: 'string' },
        readers: { type: 'string' },
        'reads-rate': { type: 'string' },
        'reads-seconds': { type: 'string' },
        'budget-minutes': { type: 'string' },
        json: { type: 'string' },
        profile: { type: 'boolean' },
        smoke: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help === true) return 'help';
  const smoke = v.smoke === true;
  const steps = v.steps === undefined ? (smoke ? [] : [100, 200, 400, 800]) : v.steps.trim() === 'none' ? [] : intList('--steps', v.steps, 100_000);
  if (v.json?.trim() === '') throw new UsageError('--json: empty path');
  const options: BenchOptions = {
    history: v.history === undefined ? (smoke ? [200] : [1_000, 100_000]) : intList('--history', v.history, 10_000_000),
    rate: v.rate === undefined ? (smoke ? 20 : 100) : positiveInt('--rate', v.rate, 100_000),
    durationSeconds: v.duration === undefined ? (smoke ? 3 : 60) : positiveInt('--duration', v.duration, 3_600),
    steps,
    stepSeconds: v['step-seconds'] === undefined ? 10 : positiveInt('--step-seconds', v['step-seconds'], 600),
    waiting: v.waiting === undefined ? (smoke ? 200 : 10_000) : positiveInt('--waiting', v.waiting, 1_000_000),
    takeNextSamples: v['take-next'] === undefined ? (smoke ? 20 : 300) : positiveInt('--take-next', v['take-next'], 100_000),
    phoneRate: v['phone-rate'] === undefined ? 50 : positiveInt('--phone-rate', v['phone-rate'], 10_000),
    phoneSeconds: v['phone-seconds'] === undefined ? (smoke ? 4 : 20) : positiveInt('--phone-seconds', v['phone-seconds'], 3_600),
    phoneAgents: v['phone-agents'] === undefined ? (smoke ? 5 : 100) : positiveInt('--phone-agents', v['phone-agents'], 1_000),
    kioskWaiting: v['kiosk-waiting'] === undefined ? (smoke ? 200 : 10_000) : positiveInt('--kiosk-waiting', v['kiosk-waiting'], 1_000_000),
    kioskTurns: v['kiosk-turns'] === undefined ? (smoke ? 20 : 300) : positiveInt('--kiosk-turns', v['kiosk-turns'], 100_000),
    kioskCalls: v['kiosk-calls'] === undefined ? (smoke ? 20 : 300) : positiveInt('--kiosk-calls', v['kiosk-calls'], 100_000),
    emailMessages: v['email-messages'] === undefined ? (smoke ? 100 : 2_000) : positiveInt('--email-messages', v['email-messages'], 100_000),
    readers: v.readers === undefined ? (smoke ? 4 : 20) : positiveInt('--readers', v.readers, 500),
    readsRate: v['reads-rate'] === undefined ? (smoke ? 10 : 50) : positiveInt('--reads-rate', v['reads-rate'], 10_000),
    readsSeconds: v['reads-seconds'] === undefined ? (smoke ? 4 : 30) : positiveInt('--reads-seconds', v['reads-seconds'], 3_600),
    budgetMinutes: v['budget-minutes'] === undefined ? (smoke ? 1 : 20) : positiveInt('--budget-minutes', v['budget-minutes'], 24 * 60),
    jsonPath: v.json,
    profile: v.profile === true,
    smoke,
  };
  if (options.takeNextSamples > options.waiting) throw new UsageError('--take-next: more calls than --waiting tickets');
  if (options.kioskCalls > options.kioskWaiting) throw new UsageError('--kiosk-calls: more calls than --kiosk-waiting turns');
  return options;
}
