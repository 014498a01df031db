/** Live figures of one queue, as supervisors see them. */
export interface QueueFigures {
  queue: string;
  waiting: number;
  longestWaitSeconds: number;
  averageWaitTodaySeconds: number;
  atRisk: number;
  answeredToday: number;
  abandonedToday: number;
}

/** The whole unit is reported under this queue name as well. */
export const ALL_QUEUES = '*';

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

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
