import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Real-world shaped inbound messages, byte-exact in wire format (CRLF); see test/fixtures/email/README.md. */
export const EMAIL_FIXTURES_DIR = join(import.meta.dirname, '../fixtures/email');

/** The fixture file names (`*.eml`), sorted. */
export async function emailFixtureNames(): Promise<string[]> {
  return (await readdir(EMAIL_FIXTURES_DIR)).filter((name) => name.endsWith('.eml')).sort();
}

export function readEmailFixture(name: string): Promise<Buffer> {
  return readFile(join(EMAIL_FIXTURES_DIR, name));
}
