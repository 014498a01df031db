/** Live figures of one queue, computed from plain rows so the arithmetic is testable without a store. */
export interface QueueFigures {
  queue: string;
  waiting: number;
  longestWaitSeconds: number;
  averageWaitTodaySeconds: number;
  atRisk: number;
  answeredToday: number;
  abandonedToday: number;
}

export interface FigureRows {
  /** Tickets waiting now. */
  waiting: { queue: string; enqueuedAt?: Date; createdAt: Date }[];
  /** Open tickets flagged at risk of breaching their SLA. */
  atRisk: { queue: string }[];
  /** Tickets assigned since the start of today (Lima). */
  assignedToday: { queue: string; enqueuedAt?: Date; createdAt: Date; assignedAt?: Date }[];
  /** Tickets cancelled today while still waiting, by queue. */
  abandonedToday: { queue: string }[];
}

/** The whole unit is reported under this queue name as well. */
export const ALL_QUEUES = '*';

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

function figuresOf(queue: string, rows: FigureRows, now: Date): QueueFigures {
  const mine = <T extends { queue: string }>(list: T[]): T[] => (queue === ALL_QUEUES ? list : list.filter((r) => r.queue === queue));
  const waiting = mine(rows.waiting);
  const assigned = mine(rows.assignedToday);
  const oldest = Math.min(...waiting.map((t) => (t.enqueuedAt ?? t.createdAt).getTime()));
  const waits = assigned.filter((t) => t.assignedAt).map((t) => (t.assignedAt?.getTime() ?? 0) - (t.enqueuedAt ?? t.createdAt).getTime());
  return {
    queue,
    waiting: waiting.length,
    longestWaitSeconds: waiting.length > 0 ? seconds(now.getTime() - oldest) : 0,
    averageWaitTodaySeconds: waits.length > 0 ? seconds(waits.reduce((a, b) => a + b, 0) / waits.length) : 0,
    atRisk: mine(rows.atRisk).length,
    answeredToday: assigned.length,
    abandonedToday: mine(rows.abandonedToday).length,
  };
}

/** Figures per queue (every queue declared for the unit, plus any a ticket sits in) and for the unit. */
export function computeQueueFigures(declaredQueues: readonly string[], rows: FigureRows, now: Date): QueueFigures[] {
  const seen = new Set<string>(declaredQueues);
  for (const list of [rows.waiting, rows.atRisk, rows.assignedToday, rows.abandonedToday]) for (const r of list) seen.add(r.queue);
  return [...[...seen].sort().map((q) => figuresOf(q, rows, now)), figuresOf(ALL_QUEUES, rows, now)];
}

/** Local midnight of the day containing `now`, for a zone with a fixed offset (Lima: −300, no DST). */
export function startOfLocalDay(now: Date, utcOffsetMinutes: number): Date {
  const offsetMs = utcOffsetMinutes * 60_000;
  const local = new Date(now.getTime() + offsetMs);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - offsetMs);
}
