import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './system-under-test.js';

const run = promisify(execFile);

/** One function of the store's profile: its own share of the samples and that of everything it called. */
export interface StoreHotFunction {
  function: string;
  flatPercent: number;
  cumPercent: number;
}

/**
 * Where the embedded FerretDB spent its CPU during a phase (`--profile`): Go's pprof CPU profile, kept beside the
 * results (`go tool pprof -http=: <file>` to browse it), and its hottest functions. `byCum` names the layers a
 * request goes through (the handler, JSON decoding of stored documents, SQLite, the garbage collector); `bySelf`
 * says what the processor actually ran.
 */
export interface StoreProfileSummary {
  file: string;
  seconds: number;
  /** Samples over wall time: 100 % = one core busy for the whole profile. */
  busyPercent: number | undefined;
  byCum: StoreHotFunction[];
  bySelf: StoreHotFunction[];
}

const ROW = /^\s*[\d.]+\w*\s+([\d.]+)%\s+[\d.]+%\s+[\d.]+\w*\s+([\d.]+)%\s+(.+)$/;

/** Reads the table `go tool pprof -top` prints. */
export function parsePprofTop(stdout: string): { rows: StoreHotFunction[]; busyPercent: number | undefined } {
  const busy = /Total samples = [\d.]+\w* \(\s*([\d.]+)%\)/.exec(stdout);
  const rows = stdout.split('\n').flatMap((line) => {
    const match = ROW.exec(line);
    if (!match) return [];
    const [, flat, cumulative, fn] = match;
    return [{ function: (fn ?? '').replace(/^github\.com\/FerretDB\/FerretDB\/internal\//, ''), flatPercent: Number(flat), cumPercent: Number(cumulative) }];
  });
  return { rows, busyPercent: busy ? Number(busy[1]) : undefined };
}

async function top(file: string, cum: boolean, count: number): Promise<{ rows: StoreHotFunction[]; busyPercent: number | undefined }> {
  const { stdout } = await run('go', ['tool', 'pprof', '-top', ...(cum ? ['-cum'] : []), `-nodecount=${String(count)}`, file], { maxBuffer: 16 * 1024 * 1024 });
  return parsePprofTop(stdout);
}

/**
 * Profiles the store for `seconds` (FerretDB's pprof on `port`), writes the profile to `file` and summarises it
 * with `go tool pprof` (Go is on the machine: the project builds FerretDB with it). Undefined when the store
 * would not answer; a profile is an aid, never a reason for the run to fail.
 */
export async function profileStore(port: number, seconds: number, file: string): Promise<StoreProfileSummary | undefined> {
  try {
    const answer = await fetch(`http://127.0.0.1:${String(port)}/debug/pprof/profile?seconds=${String(Math.max(1, Math.round(seconds)))}`);
    if (!answer.ok) return undefined;
    await writeFile(file, Buffer.from(await answer.arrayBuffer()));
    const [cum, self] = await Promise.all([top(file, true, 40), top(file, false, 25)]);
    return { file: relative(REPO_ROOT, file), seconds: Math.round(seconds), busyPercent: cum.busyPercent, byCum: cum.rows, bySelf: self.rows };
  } catch {
    return undefined;
  }
}
