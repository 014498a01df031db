import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; children add `component` so a city's log tooling can filter. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
