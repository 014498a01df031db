import { expect } from 'chai';
import { SignJWT } from 'jose';
import { Types } from 'mongoose';
import { DEV_AUTH_SECRET } from '../../src/config/env.js';
import { LOGIN_THROTTLE, purgeExpiredRefreshTokens, type Session } from '../../src/services/staff/index.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff } from '../support/seed.js';
import { testEnv, testLog } from '../support/services.js';
import { call, errorCode, loginAs, type Answer } from '../support/staff-fixtures.js';

const PASSWORD = 'una-clave-bastante-larga';
const ADMIN_PASSWORD = 'clave-del-administrador-2026';

/** Splits a JWT into its three parts, decoded where they are JSON. */
function jwtParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
    signature,
  };
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('staff authentication (login, tokens, refresh rotation, logout)', () => {
  let system: RunningSystem;
  let url: string;

  const me = (token: string): Promise<Answer> => call(url, 'GET', '/api/v1/staff/me', { token });
  const refresh = (refreshToken: string): Promise<Answer> => call(url, 'POST', '/api/v1/auth/refresh', { json: { refreshToken } });

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'api', BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD }), { log: testLog });
    url = system.url ?? '';
    await seedStaff(system.ctx.store, { username: 'rosa.quispe', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
    await seedStaff(system.ctx.store, { username: 'inactive.user', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
    const inactive = await system.ctx.store.staff.findByUsername('inactive.user');
    await system.ctx.store.staff.updateProfile(inactive!._id.toString(), { disabled: true });
  });

  after(async () => {
    await system.ctx.store.connection.dropDatabase();
    await system.stop();
  });

  describe('login', () => {
    it('creates the bootstrap admin from BOOTSTRAP_ADMIN_PASSWORD on first boot', async () => {
      const session = await loginAs(url, 'admin', ADMIN_PASSWORD);
      expect(session.staff.roles).to.deep.equal(['admin']);
    });

    it('answers a pair of tokens and the profile, without the password hash, not cacheable', async () => {
      const res = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'Rosa.Quispe', password: PASSWORD } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const session = res.body as Session & Record<string, unknown>;
      expect(session).to.include({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 7 * 86_400 });
      expect(session.refreshToken).to.match(/^[\w-]{22}\.[\w-]{43}$/);
      expect(session.staff).to.include({ username: 'rosa.quispe', disabled: false });
      expect(JSON.stringify(res.body)).not.to.match(/passwordHash|scrypt|tokenVersion/);

      const { header, payload } = jwtParts(session.accessToken);
      expect(header).to.include({ alg: 'HS256' });
      expect(payload).to.include({ sub: session.staff.id, tv: 0 });
      expect(payload.roles).to.deep.equal(['agent']);
      expect(payload.units).to.deep.equal(['GDVAC']);
      expect(Number(payload.exp) - Number(payload.iat)).to.equal(900);
    });

    it('answers a wrong password, an unknown user and a disabled user with the same 401', async () => {
      const wrong = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'rosa.quispe', password: 'not-the-password' } });
      const unknown = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'nobody.here', password: PASSWORD } });
      const disabled = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'inactive.user', password: PASSWORD } });
      for (const res of [wrong, unknown, disabled]) {
        expect(res.status).to.equal(401);
        expect(res.body).to.deep.equal({ error: { code: 'UNAUTHENTICATED', message: 'The username or password is not correct.' } });
      }
    });

    it('refuses logins with RATE_LIMITED after repeated failures for one username and address, even the right password', async () => {
      await seedStaff(system.ctx.store, { username: 'target.user', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      for (let i = 0; i < LOGIN_THROTTLE.maxFailures; i++) {
        const res = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'target.user', password: `guess-number-${i}` } });
        expect(res.status, `attempt ${i + 1}`).to.equal(401);
      }
      const blocked = await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'target.user', password: PASSWORD } });
      expect(blocked.status).to.equal(429);
      expect(errorCode(blocked)).to.equal('RATE_LIMITED');
      const retryAfter = Number(blocked.headers.get('retry-after'));
      expect(retryAfter).to.be.greaterThan(0).and.at.most(LOGIN_THROTTLE.windowSeconds);
      // Other people are not locked out by someone guessing at this account.
      expect((await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'rosa.quispe', password: PASSWORD } })).status).to.equal(200);
    });

    it('a successful login clears the failure count', async () => {
      await seedStaff(system.ctx.store, { username: 'forgetful.user', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const fail = () => call(url, 'POST', '/api/v1/auth/login', { json: { username: 'forgetful.user', password: 'wrong-password-1' } });
      for (let i = 0; i < LOGIN_THROTTLE.maxFailures - 1; i++) expect((await fail()).status).to.equal(401);
      await loginAs(url, 'forgetful.user', PASSWORD);
      for (let i = 0; i < LOGIN_THROTTLE.maxFailures - 1; i++) expect((await fail()).status).to.equal(401);
      await loginAs(url, 'forgetful.user', PASSWORD);
    });
  });

  describe('access tokens', () => {
    let session: Session;

    before(async () => {
      session = await loginAs(url, 'rosa.quispe', PASSWORD);
    });

    it('are accepted as Bearer tokens', async () => {
      const res = await me(session.accessToken);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: session.staff.id, username: 'rosa.quispe' });
    });

    it('are required: no header, another scheme or an empty token answer 401', async () => {
      for (const authorization of [undefined, `Basic ${Buffer.from('rosa.quispe:x').toString('base64')}`, 'Bearer', 'Bearer    ', session.accessToken]) {
        const res = await call(url, 'GET', '/api/v1/staff/me', authorization === undefined ? {} : { headers: { authorization } });
        expect(res.status, String(authorization)).to.equal(401);
        expect(errorCode(res)).to.equal('UNAUTHENTICATED');
      }
    });

    it('refuses tampered tokens: changed payload, changed signature, alg none, another key, garbage', async () => {
      const { header, payload, signature } = jwtParts(session.accessToken);
      const [h, , s] = session.accessToken.split('.');
      const admin = (await system.ctx.store.staff.findByUsername('admin'))!;
      const lastChar = signature.at(-1) === 'A' ? 'Q' : 'A';
      const claims = { roles: ['admin'], units: [], tv: 0 };
      const now = Math.floor(Date.now() / 1000);
      const forged = [
        `${h}.${encodePart({ ...payload, roles: ['admin'] })}.${s}`,
        `${h}.${encodePart({ ...payload, sub: admin._id.toString() })}.${s}`,
        `${session.accessToken.slice(0, -1)}${lastChar}`,
        `${encodePart({ ...header, alg: 'none' })}.${encodePart(payload)}.`,
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(admin._id.toString())
          .setIssuer('municipal-contact-center')
          .setAudience('staff-api')
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(new TextEncoder().encode('someone-elses-secret-of-at-least-32-chars')),
        'not.a.jwt',
        'x'.repeat(5000),
      ];
      for (const token of forged) {
        const res = await me(token);
        expect(res.status, token.slice(0, 60)).to.equal(401);
        expect(errorCode(res)).to.equal('UNAUTHENTICATED');
      }
    });

    it('refuses a correctly signed token for a staff member who does not exist', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ roles: ['admin'], units: [], tv: 0 })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(new Types.ObjectId().toString())
        .setIssuer('municipal-contact-center')
        .setAudience('staff-api')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(DEV_AUTH_SECRET));
      expect((await me(token)).status).to.equal(401);
    });

    it('stop working at once when the person is disabled, and their refresh token too', async () => {
      const victim = await seedStaff(system.ctx.store, { username: 'soon.disabled', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const live = await loginAs(url, 'soon.disabled', PASSWORD);
      expect((await me(live.accessToken)).status).to.equal(200);
      const admin = await loginAs(url, 'admin', ADMIN_PASSWORD);
      const patched = await call(url, 'PATCH', `/api/v1/staff/${victim._id.toString()}`, { token: admin.accessToken, json: { disabled: true } });
      expect(patched.status).to.equal(200);
      const refused = await me(live.accessToken);
      expect(refused.status).to.equal(401);
      expect(errorCode(refused)).to.equal('UNAUTHENTICATED');
      expect((await refresh(live.refreshToken)).status).to.equal(401);
    });
  });

  describe('expiry', () => {
    let shortLived: RunningSystem;

    // The system's clock, which the test moves instead of waiting for the token to expire.
    const clock = { ms: Date.now() };

    before(async () => {
      shortLived = await startSystem(await testEnv(import.meta.filename, { ROLE: 'api', AUTH_ACCESS_TTL_SECONDS: '1' }), { log: testLog, clock: () => new Date(clock.ms) });
    });

    after(async () => {
      await shortLived.ctx.store.connection.dropDatabase();
      await shortLived.stop();
    });

    it('creates no bootstrap admin in tests without BOOTSTRAP_ADMIN_PASSWORD', async () => {
      expect(await shortLived.ctx.store.staff.count()).to.equal(0);
    });

    it('refuses an access token once it has expired; the refresh token still renews the session', async () => {
      const base = shortLived.url ?? '';
      await seedStaff(shortLived.ctx.store, { username: 'brief.session', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const session = await loginAs(base, 'brief.session', PASSWORD);
      expect(session.expiresIn).to.equal(1);
      expect((await call(base, 'GET', '/api/v1/staff/me', { token: session.accessToken })).status).to.equal(200);
      clock.ms += 1_000;
      expect((await call(base, 'GET', '/api/v1/staff/me', { token: session.accessToken })).status, 'at its expiry instant').to.equal(401);
      clock.ms += 60_000;
      const expired = await call(base, 'GET', '/api/v1/staff/me', { token: session.accessToken });
      expect(expired.status).to.equal(401);
      expect(expired.body).to.deep.equal({ error: { code: 'UNAUTHENTICATED', message: 'The access token has expired.' } });
      const renewed = await call(base, 'POST', '/api/v1/auth/refresh', { json: { refreshToken: session.refreshToken } });
      expect(renewed.status).to.equal(200);
      const fresh = renewed.body as Session;
      expect((await call(base, 'GET', '/api/v1/staff/me', { token: fresh.accessToken })).status).to.equal(200);
    });
  });

  describe('refresh', () => {
    it('rotates: a new pair for the refresh token, and the new pair works', async () => {
      const first = await loginAs(url, 'rosa.quispe', PASSWORD);
      const res = await refresh(first.refreshToken);
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const second = res.body as Session;
      expect(second.refreshToken).not.to.equal(first.refreshToken);
      expect(second.staff.username).to.equal('rosa.quispe');
      expect((await me(second.accessToken)).status).to.equal(200);
      const third = await refresh(second.refreshToken);
      expect(third.status).to.equal(200);
    });

    it('detects reuse: presenting a used refresh token revokes the whole family, other sessions stay', async () => {
      const other = await loginAs(url, 'rosa.quispe', PASSWORD);
      const stolen = await loginAs(url, 'rosa.quispe', PASSWORD);
      const rotated = (await refresh(stolen.refreshToken)).body as Session;

      const replay = await refresh(stolen.refreshToken);
      expect(replay.status).to.equal(401);
      expect(errorCode(replay)).to.equal('UNAUTHENTICATED');
      // The legitimate holder's newer token died with the family.
      expect((await refresh(rotated.refreshToken)).status).to.equal(401);
      const family = await system.ctx.store.refreshTokens.get(rotated.refreshToken.split('.')[0]!);
      expect(family?.revokedAt).to.be.instanceOf(Date);
      // A separate login is a separate family.
      expect((await refresh(other.refreshToken)).status).to.equal(200);
    });

    it('lets at most one of several concurrent refreshes with the same token win', async () => {
      const session = await loginAs(url, 'rosa.quispe', PASSWORD);
      const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
      expect(answers.filter((a) => a.status === 200).length).to.be.at.most(1);
      expect(answers.filter((a) => a.status === 401).length).to.be.at.least(1);
    });

    it('refuses forged, malformed or unknown refresh tokens', async () => {
      const session = await loginAs(url, 'rosa.quispe', PASSWORD);
      const [id, secret = ''] = session.refreshToken.split('.');
      const wrongSecret = `${id}.${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
      for (const token of [wrongSecret, `${'A'.repeat(22)}.${'B'.repeat(43)}`, 'garbage', `${session.refreshToken}x`]) {
        const res = await refresh(token);
        expect(res.status, token).to.equal(401);
        expect(errorCode(res)).to.equal('UNAUTHENTICATED');
      }
      // A wrong secret proves nothing, so it must not revoke the real holder's session.
      expect((await refresh(session.refreshToken)).status).to.equal(200);
    });

    it('stores only a hash of the refresh secret', async () => {
      const session = await loginAs(url, 'rosa.quispe', PASSWORD);
      const [id = '', secret = ''] = session.refreshToken.split('.');
      const stored = await system.ctx.store.refreshTokens.get(id);
      expect(stored).not.to.equal(null);
      expect(JSON.stringify(stored)).not.to.include(secret);
      expect(stored?.secretHash).to.match(/^[0-9a-f]{64}$/);
    });
  });

  describe('logout', () => {
    it('logout ends the session of the refresh token (and is idempotent)', async () => {
      const session = await loginAs(url, 'rosa.quispe', PASSWORD);
      const res = await call(url, 'POST', '/api/v1/auth/logout', { json: { refreshToken: session.refreshToken } });
      expect(res.status).to.equal(204);
      expect((await refresh(session.refreshToken)).status).to.equal(401);
      expect((await call(url, 'POST', '/api/v1/auth/logout', { json: { refreshToken: session.refreshToken } })).status).to.equal(204);
    });

    it('logout-all invalidates existing access tokens and refresh tokens of every session at once', async () => {
      await seedStaff(system.ctx.store, { username: 'many.devices', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const phone = await loginAs(url, 'many.devices', PASSWORD);
      const desk = await loginAs(url, 'many.devices', PASSWORD);
      expect((await me(phone.accessToken)).status).to.equal(200);

      const res = await call(url, 'POST', '/api/v1/auth/logout-all', { token: desk.accessToken });
      expect(res.status).to.equal(204);
      for (const token of [phone.accessToken, desk.accessToken]) expect((await me(token)).status).to.equal(401);
      for (const token of [phone.refreshToken, desk.refreshToken]) expect((await refresh(token)).status).to.equal(401);
      // Logging in again works and gives a token of the new version.
      const again = await loginAs(url, 'many.devices', PASSWORD);
      expect((await me(again.accessToken)).status).to.equal(200);
    });

    it('logout-all needs an access token', async () => {
      const res = await call(url, 'POST', '/api/v1/auth/logout-all');
      expect(res.status).to.equal(401);
      expect(errorCode(res)).to.equal('UNAUTHENTICATED');
    });
  });

  describe('cleanup of expired refresh tokens', () => {
    it('deletes only refresh tokens that have expired', async () => {
      const { refreshTokens, staff } = system.ctx.store;
      const owner = (await staff.findByUsername('rosa.quispe'))!;
      const base = { staffId: owner._id, familyId: 'cleanup-family', tokenVersion: 0, secretHash: '0'.repeat(64) };
      await refreshTokens.insert({ ...base, id: 'expired-token-for-cleanup-1', parentId: 'login:cleanup-1', expiresAt: new Date(Date.now() - 60_000) });
      await refreshTokens.insert({ ...base, id: 'live-token-for-cleanup-0001', parentId: 'login:cleanup-2', expiresAt: new Date(Date.now() + 60_000) });
      const deleted = await purgeExpiredRefreshTokens(system.ctx);
      expect(deleted).to.be.at.least(1);
      expect(await refreshTokens.get('expired-token-for-cleanup-1')).to.equal(null);
      expect(await refreshTokens.get('live-token-for-cleanup-0001')).not.to.equal(null);
    });
  });

  describe('hostile input', () => {
    const endpoints = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout'];
    const bodies: { what: string; raw: string; contentType?: string }[] = [
      { what: 'an array', raw: '[]' },
      { what: 'a string', raw: '"admin"' },
      { what: 'null', raw: 'null' },
      { what: 'a number', raw: '42' },
      { what: 'an empty object', raw: '{}' },
      { what: 'an operator as username', raw: JSON.stringify({ username: { $gt: '' }, password: { $gt: '' } }) },
      { what: 'an operator as refresh token', raw: JSON.stringify({ refreshToken: { $ne: null } }) },
      { what: 'wrong types', raw: JSON.stringify({ username: 12, password: true, refreshToken: ['a'] }) },
      // Under the 256 kB body limit, so they reach validation; the body after them is over it.
      { what: 'huge strings', raw: JSON.stringify({ username: 'a'.repeat(60_000), password: 'b'.repeat(60_000), refreshToken: 'c'.repeat(60_000) }) },
      { what: 'an oversized body', raw: JSON.stringify({ username: 'a'.repeat(300_000) }) },
      { what: 'unknown fields', raw: JSON.stringify({ username: 'rosa.quispe', password: PASSWORD, refreshToken: 'x', admin: true }) },
      { what: 'malformed JSON', raw: '{"username": "rosa' },
      { what: 'not JSON at all', raw: 'username=rosa&password=x', contentType: 'application/x-www-form-urlencoded' },
      { what: 'plain text', raw: 'hello', contentType: 'text/plain' },
      { what: 'nothing', raw: '' },
    ];

    for (const endpoint of endpoints) {
      it(`${endpoint} answers every malformed body with a 4xx and a stable code, never 500`, async () => {
        for (const body of bodies) {
          const res = await call(url, 'POST', endpoint, { raw: body.raw, contentType: body.contentType ?? 'application/json' });
          expect(res.status, body.what).to.be.within(400, 499);
          expect(errorCode(res), body.what).to.be.oneOf(['VALIDATION_FAILED', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE']);
        }
      });
    }

    it('a login with an operator as username is refused as invalid input, not treated as a query', async () => {
      const res = await call(url, 'POST', '/api/v1/auth/login', { json: { username: { $gt: '' }, password: PASSWORD } });
      expect(res.status).to.equal(400);
      expect(errorCode(res)).to.equal('VALIDATION_FAILED');
    });
  });
});
