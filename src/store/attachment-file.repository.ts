import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';

/**
 * Where the bytes of email attachments are kept: files in a folder, named by the SHA-256 of their content
 * (`<dir>/<first two hex digits>/<sha256>`).
 *
 * Why a folder and not GridFS: on FerretDB v1 a GridFS read filters the chunks collection on `files_id`, which is not
 * an `_id` filter, so every download would read every chunk of every attachment ever stored; a file is read by its
 * name. Naming it by its hash keeps the bytes exactly as received (the name is checked against them), stores the same
 * file once however often it is sent (the logo in every signature, a message read again after a crash), and needs no
 * record to say where it went. With more than one machine the folder must be shared storage (a mounted volume, NFS),
 * so the API node that serves a download sees what a worker stored; production backups include it.
 */
export interface AttachmentFiles {
  /** Stores the bytes (once: an existing file with this hash is left as it is) and answers their SHA-256. */
  put(content: Uint8Array): Promise<{ sha256: string; size: number }>;
  /** The stored bytes, or null when nothing is kept under this hash. */
  get(sha256: string): Promise<Buffer | null>;
  has(sha256: string): Promise<boolean>;
}

const SHA256 = /^[0-9a-f]{64}$/;

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}

export function createAttachmentFiles(dir: string): AttachmentFiles {
  const pathOf = (sha256: string): string => {
    if (!SHA256.test(sha256)) throw new AppError('VALIDATION_FAILED', 'Not an attachment hash.');
    return join(dir, sha256.slice(0, 2), sha256);
  };

  async function has(sha256: string): Promise<boolean> {
    try {
      await stat(pathOf(sha256));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  return {
    async put(content) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const target = pathOf(sha256);
      if (await has(sha256)) return { sha256, size: content.byteLength };
      await mkdir(join(dir, sha256.slice(0, 2)), { recursive: true });
      // Written beside its final name, flushed, then renamed: a crash leaves a temp file, never a short attachment
      // under a hash its bytes do not have.
      const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o640);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, target);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      // The rename itself reaches the disk with its folder: only then may the mail be marked as taken in.
      const folder = await open(join(dir, sha256.slice(0, 2)), constants.O_RDONLY);
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      return { sha256, size: content.byteLength };
    },

    async get(sha256) {
      try {
        return await readFile(pathOf(sha256));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return null;
        throw err;
      }
    },

    has,
  };
}
