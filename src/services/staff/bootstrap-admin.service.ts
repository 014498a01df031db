import { randomBytes } from 'node:crypto';
import { isAppError } from '../../errors.js';
import type { AppContext } from '../context/index.js';
import { hashPassword } from './password-hash.js';

export const BOOTSTRAP_ADMIN_USERNAME = 'admin';

/**
 * Makes sure a fresh installation can be administered: when there is no staff at all, creates `admin` with
 * `BOOTSTRAP_ADMIN_PASSWORD`, or in development with a random password printed once in the log. Production
 * without the variable creates nobody (a guessable or logged password would be worse) and says so; tests
 * create nobody unless they set the variable. Safe to call from several processes starting at once.
 */
export async function ensureBootstrapAdmin(ctx: AppContext): Promise<void> {
  if ((await ctx.store.staff.count()) > 0) return;
  let password = ctx.env.BOOTSTRAP_ADMIN_PASSWORD;
  const generated = password === undefined;
  if (password === undefined) {
    if (ctx.env.NODE_ENV === 'production') {
      ctx.log.warn('There is no staff account yet. Set BOOTSTRAP_ADMIN_PASSWORD and restart to create the "admin" user.');
      return;
    }
    if (ctx.env.NODE_ENV !== 'development') return;
    password = randomBytes(18).toString('base64url');
  }
  try {
    await ctx.store.staff.create({
      username: BOOTSTRAP_ADMIN_USERNAME,
      displayName: 'Administrador',
      passwordHash: await hashPassword(password),
      roles: ['admin'],
      autoAssign: false,
    });
  } catch (err) {
    // Another process starting at the same time created it first.
    if (isAppError(err, 'DUPLICATE')) return;
    throw err;
  }
  if (generated) {
    ctx.log.warn(
      { username: BOOTSTRAP_ADMIN_USERNAME },
      `Created the first staff account "${BOOTSTRAP_ADMIN_USERNAME}" with the password ${password} ` +
        '(shown only this once: log in and change it now).',
    );
  } else {
    ctx.log.info({ username: BOOTSTRAP_ADMIN_USERNAME }, 'Created the first staff account with BOOTSTRAP_ADMIN_PASSWORD.');
  }
}
