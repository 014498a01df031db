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

/** Running totals of one queue as the live routing state keeps them (updated on each claim and removal). */
export interface QueueCounters {
  queue: string;
  waiting: number;
  oldestEnqueuedAt?: Date;
  atRisk: number;
  answeredToday: number;
  /** Sum of the waits of the tickets answered today. */
  waitMsToday: number;
  abandonedToday: number;
}

/**
 * Figures per queue (every queue declared for the unit, plus any that holds counters) and for the whole unit,
 * from counters: the cost does not depend on how many tickets the office ever had.
 */
export function figuresFromCounters(declaredQueues: readonly string[], counters: readonly QueueCounters[], now: Date): QueueFigures[] {
  const byQueue = new Map(counters.map((c) => [c.queue, c]));
  const empty = (queue: string): QueueCounters => ({ queue, waiting: 0, atRisk: 0, answeredToday: 0, waitMsToday: 0, abandonedToday: 0 });
  const queues = [...new Set([...declaredQueues, ...byQueue.keys()])].sort().map((q) => byQueue.get(q) ?? empty(q));
  const oldest = queues.map((q) => q.oldestEnqueuedAt?.getTime()).filter((t): t is number => t !== undefined);
  const sum = (pick: (q: QueueCounters) => number): number => queues.reduce((total, q) => total + pick(q), 0);
  const all: QueueCounters = {
    queue: ALL_QUEUES,
    waiting: sum((q) => q.waiting),
    ...(oldest.length > 0 ? { oldestEnqueuedAt: new Date(Math.min(...oldest)) } : {}),
    atRisk: sum((q) => q.atRisk),
    answeredToday: sum((q) => q.answeredToday),
    waitMsToday: sum((q) => q.waitMsToday),
    abandonedToday: sum((q) => q.abandonedToday),
  };
  return [...queues, all].map((q) => ({
    queue: q.queue,
    waiting: q.waiting,
    longestWaitSeconds: q.waiting > 0 && q.oldestEnqueuedAt ? seconds(now.getTime() - q.oldestEnqueuedAt.getTime()) : 0,
    averageWaitTodaySeconds: q.answeredToday > 0 ? seconds(q.waitMsToday / q.answeredToday) : 0,
    atRisk: q.atRisk,
    answeredToday: q.answeredToday,
    abandonedToday: q.abandonedToday,
  }));
}
