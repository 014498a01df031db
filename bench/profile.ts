import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { REPO_ROOT } from './system-under-test.js';

/** A function that used the CPU during the profiled phase, by its own time (not its callees'). */
export interface HotFunction {
  function: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of the time the process had nothing to run: waiting on the store, Redis or the network. */
  idlePercent: number;
  top: HotFunction[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  return typeof value === 'object' && value !== null && 'nodes' in value && Array.isArray(value.nodes);
}

/** Self time per function (summed over call sites), from the sampled profile. */
function hottest(profile: CpuProfile, limit: number): Omit<ProfileSummary, 'file'> {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    if (id !== undefined) selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const byFunction = new Map<string, { fn: string; where: string; us: number }>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? relative(REPO_ROOT, new URL(url).pathname) : url;
    const where = file === '' ? '(native)' : `${file}:${lineNumber + 1}`;
    const fn = functionName === '' ? '(anonymous)' : functionName;
    const key = `${fn}@${where}`;
    const entry = byFunction.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const totalUs = Math.max(1, profile.endTime - profile.startTime);
  const idleUs = [...byFunction.values()].filter((e) => e.fn === '(idle)').reduce((sum, e) => sum + e.us, 0);
  const top = [...byFunction.values()]
    .filter((e) => e.fn !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ function: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), percent: Math.round((e.us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), idlePercent: Math.round((idleUs / totalUs) * 1000) / 10, top };
}

/**
 * Samples this process's CPU (the system under test and the harness share it) while `work` runs, writes the
 * profile for Chrome DevTools / speedscope, and returns the functions that used the most time themselves.
 */
export async function profiled<T>(file: string, work: () => Promise<T>): Promise<{ value: T; profile: ProfileSummary | undefined }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1_000 });
    await session.post('Profiler.start');
    const value = await work();
    const { profile } = await session.post('Profiler.stop');
    const raw: unknown = profile;
    if (!isCpuProfile(raw)) return { value, profile: undefined };
    await writeFile(file, JSON.stringify(raw));
    return { value, profile: { file: relative(REPO_ROOT, file), ...hottest(raw, 25) } };
  } finally {
    session.disconnect();
  }
}
