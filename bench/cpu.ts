import { readFile } from 'node:fs/promises';
import { nowMs } from './stats.js';

/** CPU time used so far: this process (harness + system under test) and each embedded service, in ms. */
export interface CpuSnapshot {
  at: number;
  processMs: number;
  services: Record<string, number>;
}

/** Share of one core used over an interval, in percent (200 = both cores of a 2-core machine). */
export type CpuShare = Record<string, number>;

/** Linux reports process times in clock ticks; 100 per second on every mainstream kernel configuration. */
const TICKS_PER_SECOND = 100;

async function processCpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? ((utime + stime) * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Where the machine's CPU goes during a phase. The embedded services run under a small shell guardian, so the
 * service is the guardian's child; services given by URL are on other machines and are not measured.
 */
export class CpuMeter {
  private resolved: Promise<Record<string, readonly number[]>> | undefined;

  constructor(private readonly guardians: Record<string, number>) {}

  private pids(): Promise<Record<string, readonly number[]>> {
    const resolved =
      this.resolved ??
      (async () => {
        const entries = await Promise.all(Object.entries(this.guardians).map(async ([name, pid]) => [name, [pid, ...(await childrenOf(pid))]] as const));
        return Object.fromEntries(entries);
      })();
    this.resolved = resolved;
    return resolved;
  }

  async snapshot(): Promise<CpuSnapshot> {
    const usage = process.cpuUsage();
    const services: Record<string, number> = {};
    for (const [name, pids] of Object.entries(await this.pids())) {
      const times = await Promise.all(pids.map(processCpuMs));
      services[name] = times.reduce<number>((sum, t) => sum + (t ?? 0), 0);
    }
    return { at: nowMs(), processMs: (usage.user + usage.system) / 1000, services };
  }

  /** Percent of one core each used between two snapshots. */
  static share(from: CpuSnapshot, to: CpuSnapshot): CpuShare {
    const wall = Math.max(1, to.at - from.at);
    const pct = (ms: number): number => Math.round((ms / wall) * 1000) / 10;
    const share: CpuShare = { node: pct(to.processMs - from.processMs) };
    for (const [name, ms] of Object.entries(to.services)) share[name] = pct(ms - (from.services[name] ?? ms));
    return share;
  }
}
