import { execFile, spawn } from 'node:child_process';
import { access, chmod, chown, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImapFlowOptions } from 'imapflow';
import { EmbeddedServiceError, spawnManaged, startOnLoopback, type ManagedProcess } from '../../src/embedded/process.js';
import { eventually } from './wait.js';

const run = promisify(execFile);

const DOVECOT = '/usr/sbin/dovecot';
const DOVECONF = '/usr/bin/doveconf';
const DOVEADM = '/usr/bin/doveadm';
/** Debian's local delivery agent: what an MTA (Postfix's `mailbox_command`, Exim's pipe transport) runs per message. */
const DOVECOT_LDA = '/usr/lib/dovecot/dovecot-lda';
/** A Maildir folder's indexes; without them and its `dovecot-uidlist`, Dovecot starts the folder over under a new UIDVALIDITY. */
const INDEX_FILES = ['dovecot.index', 'dovecot.index.log', 'dovecot.index.log.2', 'dovecot.index.cache'];

/** A mailbox account on the test server. The password is stored in clear (passwd-file, `{PLAIN}`): a throw-away server. */
export interface MailUser {
  readonly user: string;
  readonly password: string;
}

export interface DeliverOptions {
  /** Mailbox to deliver into, INBOX by default; created if missing (`lda_mailbox_autocreate`). */
  folder?: string;
  /** IMAP flags to set on the delivered message, e.g. `['\\Seen']`. */
  flags?: readonly string[];
}

export interface MailboxStatus {
  uidValidity: number;
  uidNext: number;
  messages: number;
}

/** A real Dovecot IMAP server on a loopback port, with its own config, users and Maildirs in a temp dir. */
export interface TestDovecot {
  readonly host: string;
  readonly port: number;
  readonly users: readonly MailUser[];
  /** The temp dir holding config, logs and mail; removed by `stop()`. */
  readonly dir: string;
  /** Options for `new ImapFlow(...)` logging in as `user` (plain IMAP on loopback, no STARTTLS, no logging). */
  imapOptions(user: string): ImapFlowOptions;
  /**
   * Delivers a raw RFC 5322 message the way a mail server does, through Dovecot's LDA, and resolves with the UID it
   * got. Deliveries through one harness run one at a time, so the UID is exact as long as nothing else appends to
   * that folder at the same moment.
   */
  deliver(user: string, raw: Buffer | string, options?: DeliverOptions): Promise<number>;
  /**
   * Delivers many messages at once, in order, the way a Maildir delivery agent writes them (each file written in
   * `tmp/`, then renamed into `new/`, so Dovecot never sees half a message): thousands a second, where `deliver` runs
   * the LDA once per message. UIDs follow the order of `raws` (Dovecot numbers new files by the time and microseconds
   * in their names). Resolves with the first and last UID given, checked against the folder's UIDNEXT; serialised
   * with `deliver`, with the same caveat about other writers. The folder must exist. No flags are set.
   */
  deliverMany(user: string, raws: readonly (Buffer | string)[], options?: { folder?: string }): Promise<{ first: number; last: number }>;
  createFolder(user: string, folder: string): Promise<void>;
  status(user: string, folder?: string): Promise<MailboxStatus>;
  /**
   * Makes the folder's UIDVALIDITY change, as after a mailbox restore or a server migration: Dovecot's UID list and
   * indexes for it are removed, so it renumbers the messages from UID 1 under a new UIDVALIDITY. The user's open IMAP
   * sessions are disconnected first (`doveadm kick`), as a migration would; clients must reconnect. Resolves with the
   * status after the change.
   */
  renewUidValidity(user: string, folder?: string): Promise<MailboxStatus>;
  /**
   * Cuts the user's open IMAP sessions (`doveadm kick`), as a server restart or a network drop would, and waits until
   * their processes are gone. Resolves with how many sessions there were.
   */
  disconnect(user: string): Promise<number>;
  /** The user's open IMAP sessions (`doveadm who`). */
  sessions(user: string): Promise<number>;
  /** Stops Dovecot and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface DovecotOptions {
  users: readonly MailUser[];
  /** Overall start timeout (default 15 s). */
  startTimeoutMs?: number;
}

interface Identity {
  /** Runs Dovecot's internal processes (auth, anvil, ...) and reads the passwd-file. */
  internalUser: string;
  internalGroup: string;
  /** Runs imap-login, which refuses to run as root. */
  loginUser: string;
  /** Owns the Maildirs. Dovecot refuses uid 0 for mail access. */
  mailUid: number;
  mailGid: number;
}

async function accountIds(name: string): Promise<{ uid: number; gid: number; group: string } | undefined> {
  try {
    const [uid, gid, group] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name]), run('id', ['-gn', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), group: group.stdout.trim() };
  } catch {
    return undefined;
  }
}

/**
 * Unprivileged, everything runs as the current user (Dovecot's "rootless" set-up). As root, Dovecot's own processes
 * drop to the system users Debian's package creates (`dovecot`, `dovenull`), and mail is owned by `nobody`.
 */
async function lookUpIdentity(): Promise<Identity> {
  const self = userInfo();
  if (self.uid !== 0) {
    const group = (await run('id', ['-gn'])).stdout.trim();
    return { internalUser: self.username, internalGroup: group, loginUser: self.username, mailUid: self.uid, mailGid: self.gid };
  }
  const [dovecot, dovenull, nobody] = await Promise.all([accountIds('dovecot'), accountIds('dovenull'), accountIds('nobody')]);
  if (!nobody) throw new EmbeddedServiceError('dovecot', 'running as root needs the `nobody` user to own the test Maildirs (Dovecot refuses uid 0 for mail)');
  return {
    internalUser: dovecot ? 'dovecot' : 'nobody',
    internalGroup: dovecot ? dovecot.group : nobody.group,
    loginUser: dovenull ? 'dovenull' : 'nobody',
    mailUid: nobody.uid,
    mailGid: nobody.gid,
  };
}

async function assertInstalled(): Promise<void> {
  for (const binary of [DOVECOT, DOVECONF, DOVEADM, DOVECOT_LDA]) {
    try {
      await access(binary);
    } catch {
      throw new EmbeddedServiceError('dovecot', `${binary} not found; install Debian dovecot-imapd (\`CI=true npm run bootstrap\` does)`);
    }
  }
  // The config below is written in 2.3's settings; 2.4 (Debian 13) renamed most of them and would refuse it.
  const version = (await run(DOVECOT, ['--version'])).stdout.trim();
  if (!version.startsWith('2.3.')) throw new EmbeddedServiceError('dovecot', `found Dovecot ${version}; test/support/dovecot.ts writes a Dovecot 2.3 config`);
}

function assertUsers(users: readonly MailUser[]): void {
  if (users.length === 0) throw new Error('startDovecot needs at least one user');
  for (const { user, password } of users) {
    // passwd-file is colon-separated and the user name becomes a directory name.
    if (!/^[A-Za-z0-9._@+-]+$/.test(user)) throw new Error(`invalid test mail user name: ${user}`);
    if (/[:\r\n]/.test(password) || password === '') throw new Error(`invalid password for test mail user ${user}`);
  }
}

/** Dovecot 2.3 settings (Debian 12 ships 2.3.19), checked by `doveconf -n` before each start. */
function configText(dir: string, port: number, id: Identity): string {
  return `# Throw-away Dovecot for tests, written by test/support/dovecot.ts
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A test of bad credentials must not slow down the logins after it: no 2 s reply delay (and no per-IP penalty,
# the anvil-auth-penalty listener below).
auth_failure_delay = 0
default_internal_user = ${id.internalUser}
default_internal_group = ${id.internalGroup}
default_login_user = ${id.loginUser}
first_valid_uid = ${id.mailUid}
last_valid_uid = ${id.mailUid}
first_valid_gid = ${id.mailGid}
last_valid_gid = ${id.mailGid}
mail_location = maildir:${dir}/mail/%u/Maildir
mail_fsync = never
lda_mailbox_autocreate = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
  default_fields = uid=${id.mailUid} gid=${id.mailGid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Junk {
    auto = subscribe
    special_use = \\Junk
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

/** Runs a Dovecot tool; rejects with its stderr (Dovecot logs there: `log_path = /dev/stderr`). */
function runTool(file: string, args: readonly string[], input?: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new EmbeddedServiceError('dovecot', `${file} ${args.join(' ')} exited with ${String(code)}: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
    // A tool that exits before reading all of its input (a bad user) must not turn into an EPIPE crash.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses `doveadm -f tab` output: a header line, then one row per record. */
function tabRows(output: string): Record<string, string>[] {
  const [header, ...rows] = output.trimEnd().split('\n');
  if (header === undefined) return [];
  const names = header.split('\t');
  return rows.map((row) => {
    const values = row.split('\t');
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
  });
}

/** Starts Dovecot as the current user (or root) with a fresh config and one Maildir per user. */
export async function startDovecot(options: DovecotOptions): Promise<TestDovecot> {
  assertUsers(options.users);
  await assertInstalled();
  const id = await lookUpIdentity();
  const dir = await mkdtemp(join(tmpdir(), 'mcc-dovecot-'));
  const configFile = join(dir, 'dovecot.conf');
  let proc: ManagedProcess | undefined;
  try {
    // As root, the mail processes run as `nobody` and must reach the Maildirs under this dir.
    await chmod(dir, 0o711);
    await mkdir(join(dir, 'mail'));
    await chown(join(dir, 'mail'), id.mailUid, id.mailGid);
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, options.users.map(({ user, password }) => `${user}:{PLAIN}${password}::::::\n`).join(''), { mode: 0o600 });
    const internal = await accountIds(id.internalUser);
    if (internal) await chown(usersFile, internal.uid, internal.gid);
    const started = await startOnLoopback('dovecot', undefined, options.startTimeoutMs ?? 15_000, async (port) => {
      await writeFile(configFile, configText(dir, port, id));
      try {
        await run(DOVECONF, ['-c', configFile, '-n']);
      } catch (err) {
        const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr) : String(err);
        throw new EmbeddedServiceError('dovecot', `doveconf rejected the generated config: ${stderr.trim()}`);
      }
      return spawnManaged('dovecot', DOVECOT, ['-F', '-c', configFile], join(dir, 'dovecot.log'));
    });
    proc = started.proc;
    const managed = proc;
    const port = started.port;
    const known = new Set(options.users.map((u) => u.user));
    const userOf = (user: string): string => {
      if (!known.has(user)) throw new Error(`no test mail user ${user}`);
      return user;
    };
    const doveadm = (args: readonly string[]) => runTool(DOVEADM, ['-c', configFile, '-f', 'tab', ...args]);

    async function status(user: string, folder = 'INBOX'): Promise<MailboxStatus> {
      const [row] = tabRows(await doveadm(['mailbox', 'status', '-u', userOf(user), 'uidvalidity uidnext messages', folder]));
      if (row === undefined) throw new EmbeddedServiceError('dovecot', `no status for ${user}/${folder}`);
      return { uidValidity: Number(row.uidvalidity), uidNext: Number(row.uidnext), messages: Number(row.messages) };
    }

    /**
     * As a migration would, cuts the user's IMAP sessions, and waits until their processes are gone: one still
     * shutting down could write the old indexes back.
     */
    async function sessionPids(user: string): Promise<number[]> {
      return tabRows(await doveadm(['who', '-1', userOf(user)])).map((row) => Number(row.pid));
    }

    async function disconnectSessions(user: string): Promise<number> {
      const pids = await sessionPids(user);
      if (pids.length === 0) return 0;
      await doveadm(['kick', user]);
      await eventually(() => pids.every((pid) => !processExists(pid)), `IMAP sessions of ${user} to end`, 5_000);
      return pids.length;
    }

    let deliveries: Promise<unknown> = Promise.resolve();
    async function deliverNow(user: string, raw: Buffer | string, deliverOptions: DeliverOptions): Promise<number> {
      const folder = deliverOptions.folder ?? 'INBOX';
      await runTool(DOVECOT_LDA, ['-c', configFile, '-d', userOf(user), '-m', folder], raw);
      // The LDA gives the message its UID only when it gets dovecot-uidlist's lock without waiting: while an IMAP
      // session holds it, the UID comes with the next sync of the folder, and UIDNEXT read now would be the one
      // before. A search syncs the folder (waiting for the lock), so UIDNEXT is read after this message's UID.
      await doveadm(['search', '-u', userOf(user), 'mailbox', folder, 'all']);
      const uid = (await status(user, folder)).uidNext - 1;
      if (deliverOptions.flags && deliverOptions.flags.length > 0) {
        await doveadm(['flags', 'add', '-u', user, deliverOptions.flags.join(' '), 'mailbox', folder, 'uid', String(uid)]);
      }
      return uid;
    }

    /** Unique Maildir file names, in the order given: `<seconds>.M<microseconds>P<pid>Q<n>.<host>`. */
    let written = 0;
    const maildirName = (seconds: number, micros: number): string => `${String(seconds)}.M${String(micros)}P${String(process.pid)}Q${String(++written)}.${hostname().replace(/[/:]/g, '_')}`;

    async function deliverManyNow(user: string, raws: readonly (Buffer | string)[], folder: string): Promise<{ first: number; last: number }> {
      const before = await status(user, folder);
      const path = tabRows(await doveadm(['mailbox', 'path', '-u', userOf(user), folder]))[0]?.path;
      if (!path) throw new EmbeddedServiceError('dovecot', `no Maildir path for ${user}/${folder}`);
      await Promise.all(['tmp', 'new', 'cur'].map((sub) => mkdir(join(path, sub), { recursive: true })));
      const seconds = Math.floor(Date.now() / 1000);
      for (const [i, raw] of raws.entries()) {
        // Microseconds order the files within one second; a million a second is more than any test writes.
        const name = maildirName(seconds + Math.floor(i / 1_000_000), i % 1_000_000);
        await writeFile(join(path, 'tmp', name), raw);
        if (id.mailUid !== userInfo().uid) await chown(join(path, 'tmp', name), id.mailUid, id.mailGid);
        await rename(join(path, 'tmp', name), join(path, 'new', name));
      }
      const after = await status(user, folder);
      if (after.uidNext - before.uidNext !== raws.length) {
        throw new EmbeddedServiceError('dovecot', `${String(raws.length)} messages written into ${user}/${folder}, but its UIDNEXT went from ${String(before.uidNext)} to ${String(after.uidNext)}`);
      }
      return { first: before.uidNext, last: after.uidNext - 1 };
    }

    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      users: options.users,
      dir,
      imapOptions(user) {
        const account = options.users.find((u) => u.user === user);
        if (!account) throw new Error(`no test mail user ${user}`);
        return { host: '127.0.0.1', port, secure: false, auth: { user: account.user, pass: account.password }, logger: false };
      },
      deliver(user, raw, deliverOptions = {}) {
        const result = deliveries.then(() => deliverNow(user, raw, deliverOptions));
        deliveries = result.catch(() => undefined);
        return result;
      },
      deliverMany(user, raws, manyOptions = {}) {
        const result = deliveries.then(() => deliverManyNow(user, raws, manyOptions.folder ?? 'INBOX'));
        deliveries = result.catch(() => undefined);
        return result;
      },
      async createFolder(user, folder) {
        await doveadm(['mailbox', 'create', '-u', userOf(user), folder]);
      },
      status,
      async renewUidValidity(user, folder = 'INBOX') {
        const before = await status(user, folder);
        await disconnectSessions(user);
        const controlDir = tabRows(await doveadm(['mailbox', 'path', '-u', userOf(user), '-t', 'control', folder]))[0]?.path;
        const indexDir = tabRows(await doveadm(['mailbox', 'path', '-u', user, '-t', 'index', folder]))[0]?.path;
        if (!controlDir || !indexDir) throw new EmbeddedServiceError('dovecot', `no Maildir path for ${user}/${folder}`);
        const files = [join(controlDir, 'dovecot-uidlist'), ...INDEX_FILES.map((name) => join(indexDir, name))];
        await Promise.all(files.map((file) => rm(file, { force: true })));
        const after = await status(user, folder);
        if (after.uidValidity === before.uidValidity) throw new EmbeddedServiceError('dovecot', `UIDVALIDITY of ${user}/${folder} did not change`);
        return after;
      },
      disconnect: disconnectSessions,
      async sessions(user) {
        return (await sessionPids(user)).length;
      },
      stop() {
        stopping ??= (async () => {
          await managed.stop();
          await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (err) {
    await proc?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
