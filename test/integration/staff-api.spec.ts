import { expect } from 'chai';
import { changePassword, createStaff, listStaff, setStaffCapacity, setStaffPresence, updateStaff, type Session } from '../../src/services/staff/index.js';
import type { Staff, StaffView } from '../../src/store/staff.repository.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { seedStaff } from '../support/seed.js';
import { testEnv, testLog } from '../support/services.js';
import { actorOf, call, errorCode, fieldPaths, loginAs, refusal, type Answer } from '../support/staff-fixtures.js';

const PASSWORD = 'una-clave-bastante-larga';

const ADMIN_PASSWORD = 'clave-del-administrador-2026';

interface StaffPage {
  items: StaffView[];
  total: number;
  limit: number;
  offset: number;
}

describe('staff API (accounts, scope, password, presence, capacity)', () => {
  let system: RunningSystem;
  let url: string;
  let admin: Session;
  let supervisorA: Session;
  let agentA: Session;
  let agentB: Session;
  let agentAStaff: Staff;
  let agentBStaff: Staff;
  let supervisorAStaff: Staff;

  const api = (method: string, path: string, session: Session | undefined, json?: unknown): Promise<Answer> =>
    call(url, method, `/api/v1${path}`, { ...(session ? { token: session.accessToken } : {}), ...(json !== undefined ? { json } : {}) });

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'api', BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD }), { log: testLog });
    url = system.url ?? '';
    supervisorAStaff = await seedStaff(system.ctx.store, { username: 'sup.gdvac', password: PASSWORD, roles: ['supervisor'], units: ['GDVAC'] });
    agentAStaff = await seedStaff(system.ctx.store, { username: 'agent.gdvac', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
    agentBStaff = await seedStaff(system.ctx.store, { username: 'agent.sg', password: PASSWORD, roles: ['agent'], units: ['SG'] });
    admin = await loginAs(url, 'admin', ADMIN_PASSWORD);
    supervisorA = await loginAs(url, 'sup.gdvac', PASSWORD);
    agentA = await loginAs(url, 'agent.gdvac', PASSWORD);
    agentB = await loginAs(url, 'agent.sg', PASSWORD);
  });

  after(async () => {
    await system.ctx.store.connection.dropDatabase();
    await system.stop();
  });

  describe('GET /staff/me', () => {
    it('answers the own profile without password hash or token version', async () => {
      const res = await api('GET', '/staff/me', agentA);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: agentAStaff._id.toString(), username: 'agent.gdvac', presence: 'offline', autoAssign: true });
      expect(res.body).to.have.deep.property('units', ['GDVAC']);
      expect(res.body).to.have.deep.property('capacity', { phone: 1, email: 5, kiosk: 1, manual: 5 });
      expect(res.body).not.to.have.any.keys('passwordHash', 'tokenVersion', '_id');
    });

    it('needs a login', async () => {
      const res = await api('GET', '/staff/me', undefined);
      expect(res.status).to.equal(401);
      expect(errorCode(res)).to.equal('UNAUTHENTICATED');
    });
  });

  describe('POST /staff (create)', () => {
    const newUser = {
      username: 'Maria.Lopez',
      displayName: 'María López',
      email: 'Maria.Lopez@MuniPLibre.gob.pe',
      password: 'contraseña-segura-2026',
      roles: ['agent'],
      units: ['GDVAC', 'SG'],
      skills: ['vpp', 'tributos'],
      capacity: { phone: 2, email: 8 },
    };

    it('lets an admin create a user, who can then log in', async () => {
      const res = await api('POST', '/staff', admin, newUser);
      expect(res.status).to.equal(201);
      const view = res.body as StaffView;
      expect(view).to.include({ username: 'maria.lopez', displayName: 'María López', email: 'maria.lopez@muniplibre.gob.pe', disabled: false });
      expect(view.capacity).to.deep.equal({ phone: 2, email: 8, kiosk: 1, manual: 5 });
      expect(view.units).to.deep.equal(['GDVAC', 'SG']);
      expect(res.headers.get('location')).to.equal(`/api/v1/staff/${view.id}`);
      expect(JSON.stringify(res.body)).not.to.match(/passwordHash|scrypt/);
      const session = await loginAs(url, 'maria.lopez', newUser.password);
      expect(session.staff.id).to.equal(view.id);
    });

    it('refuses a taken username with 409 DUPLICATE, whatever its case', async () => {
      for (const username of ['maria.lopez', 'MARIA.LOPEZ', ' maria.lopez ']) {
        const res = await api('POST', '/staff', admin, { ...newUser, username });
        expect(res.status, username).to.equal(409);
        expect(errorCode(res)).to.equal('DUPLICATE');
      }
    });

    it('refuses an unknown unit with 400 and the path of the unit at fault', async () => {
      const res = await api('POST', '/staff', admin, { ...newUser, username: 'pedro.ruiz', units: ['GDVAC', 'NOPE'] });
      expect(res.status).to.equal(400);
      expect(errorCode(res)).to.equal('VALIDATION_FAILED');
      expect(fieldPaths(res)).to.deep.equal(['units.1']);
      expect(await system.ctx.store.staff.findByUsername('pedro.ruiz')).to.equal(null);
    });

    it('refuses a weak password with 400 on the password field', async () => {
      for (const password of ['corta', '12345678901', 'pedro.ruiz-2026-xx']) {
        const res = await api('POST', '/staff', admin, { ...newUser, username: 'pedro.ruiz', password });
        expect(res.status, password).to.equal(400);
        expect(fieldPaths(res), password).to.deep.equal(['password']);
      }
    });

    it('reports every field at fault at once', async () => {
      const res = await api('POST', '/staff', admin, { username: 'x', displayName: '', password: 'short', roles: ['king'], email: 'not-an-email' });
      expect(res.status).to.equal(400);
      expect(fieldPaths(res)).to.include.members(['username', 'displayName', 'password', 'roles.0', 'email']);
    });

    it('is for admins only: agents and supervisors get 403', async () => {
      for (const session of [agentA, supervisorA]) {
        const res = await api('POST', '/staff', session, { ...newUser, username: 'sneaky.user' });
        expect(res.status).to.equal(403);
        expect(errorCode(res)).to.equal('FORBIDDEN');
      }
      expect(await system.ctx.store.staff.findByUsername('sneaky.user')).to.equal(null);
    });
  });

  describe('GET /staff and /staff/:id (scope)', () => {
    it('an admin lists everyone, paginated and sorted by username', async () => {
      const all = (await api('GET', '/staff?limit=100', admin)).body as StaffPage;
      expect(all.total).to.equal(all.items.length);
      const names = all.items.map((s) => s.username);
      expect(names).to.include.members(['admin', 'sup.gdvac', 'agent.gdvac', 'agent.sg']);
      expect(names).to.deep.equal([...names].sort());
      const page = (await api('GET', '/staff?limit=2&offset=1', admin)).body as StaffPage;
      expect(page.items.map((s) => s.username)).to.deep.equal(names.slice(1, 3));
      expect(page).to.include({ total: all.total, limit: 2, offset: 1 });
      const agentsOfSg = (await api('GET', '/staff?unit=SG&role=agent', admin)).body as StaffPage;
      expect(agentsOfSg.items.every((s) => s.units.includes('SG') && s.roles.includes('agent'))).to.equal(true);
      expect(agentsOfSg.items.map((s) => s.username)).to.include('agent.sg');
    });

    it('a supervisor lists only the staff of their units', async () => {
      const res = await api('GET', '/staff', supervisorA);
      expect(res.status).to.equal(200);
      const page = res.body as StaffPage;
      expect(page.items.map((s) => s.username)).to.include.members(['sup.gdvac', 'agent.gdvac']);
      expect(page.items.every((s) => s.units.includes('GDVAC'))).to.equal(true);
      expect(page.items.map((s) => s.username)).not.to.include('agent.sg');
      const other = await api('GET', '/staff?unit=SG', supervisorA);
      expect(other.status).to.equal(403);
      expect(errorCode(other)).to.equal('FORBIDDEN');
    });

    it('an agent cannot list staff', async () => {
      const res = await api('GET', '/staff', agentA);
      expect(res.status).to.equal(403);
      expect(errorCode(res)).to.equal('FORBIDDEN');
    });

    it('a supervisor of unit A gets 404 for someone only in unit B, and sees their own unit', async () => {
      const outside = await api('GET', `/staff/${agentBStaff._id.toString()}`, supervisorA);
      expect(outside.status).to.equal(404);
      expect(errorCode(outside)).to.equal('NOT_FOUND');
      const inside = await api('GET', `/staff/${agentAStaff._id.toString()}`, supervisorA);
      expect(inside.status).to.equal(200);
      expect(inside.body).to.include({ username: 'agent.gdvac' });
    });

    it('an agent sees themselves and nobody else; an admin sees anyone', async () => {
      expect((await api('GET', `/staff/${agentAStaff._id.toString()}`, agentA)).status).to.equal(200);
      expect((await api('GET', `/staff/${supervisorAStaff._id.toString()}`, agentA)).status).to.equal(404);
      expect((await api('GET', `/staff/${agentBStaff._id.toString()}`, admin)).status).to.equal(200);
    });

    it('answers ids that are not ids, or unknown, with 404', async () => {
      for (const id of ['nope', '000000000000000000000000', '%24gt', 'ffffffffffffffffffffffffffffffff']) {
        const res = await api('GET', `/staff/${id}`, admin);
        expect(res.status, id).to.equal(404);
        expect(errorCode(res)).to.equal('NOT_FOUND');
      }
    });
  });

  describe('PATCH /staff/:id', () => {
    it('lets an admin change roles, units and skills; every change bumps version; live tokens get the new roles', async () => {
      const target = await seedStaff(system.ctx.store, { username: 'promoted.one', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const live = await loginAs(url, 'promoted.one', PASSWORD);
      expect((await api('GET', '/staff', live)).status).to.equal(403);

      const res = await api('PATCH', `/staff/${target._id.toString()}`, admin, { roles: ['agent', 'supervisor'], units: ['GDVAC', 'GAT'], skills: ['reclamos'] });
      expect(res.status).to.equal(200);
      const view = res.body as StaffView;
      expect(view.roles).to.deep.equal(['agent', 'supervisor']);
      expect(view.units).to.deep.equal(['GDVAC', 'GAT']);
      expect(view.version).to.equal(target.version + 1);
      // Roles come from the store on every request, so the promotion applies to the token already issued.
      expect((await api('GET', '/staff', live)).status).to.equal(200);

      const again = await api('PATCH', `/staff/${target._id.toString()}`, admin, { autoAssign: false, displayName: 'Promovida', email: null });
      expect((again.body as StaffView).version).to.equal(target.version + 2);
      expect(again.body).to.include({ autoAssign: false, displayName: 'Promovida' });
    });

    it('refuses unknown units, empty patches, unknown fields and self-lockout with 400', async () => {
      const id = agentAStaff._id.toString();
      const unit = await api('PATCH', `/staff/${id}`, admin, { units: ['XX'] });
      expect(fieldPaths(unit)).to.deep.equal(['units.0']);
      for (const body of [{}, { passwordHash: 'scrypt$1$1$1$a$b' }, { tokenVersion: 0 }, { load: { phone: 0 } }, { roles: [] }]) {
        const res = await api('PATCH', `/staff/${id}`, admin, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(errorCode(res)).to.equal('VALIDATION_FAILED');
      }
      const self = await api('PATCH', `/staff/${admin.staff.id}`, admin, { disabled: true, roles: ['agent'] });
      expect(self.status).to.equal(400);
      expect(fieldPaths(self)).to.have.members(['disabled', 'roles']);
      expect((await api('GET', '/staff/me', admin)).status).to.equal(200);
    });

    it('is for admins only, and 404 for nobody', async () => {
      const res = await api('PATCH', `/staff/${agentAStaff._id.toString()}`, supervisorA, { skills: ['x'] });
      expect(res.status).to.equal(403);
      const missing = await api('PATCH', '/staff/000000000000000000000000', admin, { skills: ['x'] });
      expect(missing.status).to.equal(404);
    });
  });

  describe('PUT /staff/:id/password', () => {
    it('changes the own password with the current one, ends old sessions and returns a fresh one', async () => {
      const person = await seedStaff(system.ctx.store, { username: 'changes.password', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const old = await loginAs(url, 'changes.password', PASSWORD);
      const id = person._id.toString();

      const missing = await api('PUT', `/staff/${id}/password`, old, { newPassword: 'otra-clave-muy-larga' });
      expect(missing.status).to.equal(400);
      expect(fieldPaths(missing)).to.deep.equal(['currentPassword']);
      const wrong = await api('PUT', `/staff/${id}/password`, old, { currentPassword: 'not-it-at-all', newPassword: 'otra-clave-muy-larga' });
      expect(wrong.status).to.equal(400);
      expect(fieldPaths(wrong)).to.deep.equal(['currentPassword']);
      const weak = await api('PUT', `/staff/${id}/password`, old, { currentPassword: PASSWORD, newPassword: 'short' });
      expect(fieldPaths(weak)).to.deep.equal(['newPassword']);

      const ok = await api('PUT', `/staff/${id}/password`, old, { currentPassword: PASSWORD, newPassword: 'otra-clave-muy-larga' });
      expect(ok.status).to.equal(200);
      const fresh = ok.body as Session;
      expect((await api('GET', '/staff/me', old)).status).to.equal(401);
      expect((await call(url, 'POST', '/api/v1/auth/refresh', { json: { refreshToken: old.refreshToken } })).status).to.equal(401);
      expect((await api('GET', '/staff/me', fresh)).status).to.equal(200);
      await loginAs(url, 'changes.password', 'otra-clave-muy-larga');
      expect((await call(url, 'POST', '/api/v1/auth/login', { json: { username: 'changes.password', password: PASSWORD } })).status).to.equal(401);
    });

    it("lets an admin set someone's password (204), which ends that person's sessions", async () => {
      const person = await seedStaff(system.ctx.store, { username: 'forgot.password', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] });
      const live = await loginAs(url, 'forgot.password', PASSWORD);
      const res = await api('PUT', `/staff/${person._id.toString()}/password`, admin, { newPassword: 'clave-nueva-asignada' });
      expect(res.status).to.equal(204);
      expect((await api('GET', '/staff/me', live)).status).to.equal(401);
      await loginAs(url, 'forgot.password', 'clave-nueva-asignada');
    });

    it("refuses to let others change someone's password: 403 for a supervisor, 404 outside scope", async () => {
      const bySupervisor = await api('PUT', `/staff/${agentAStaff._id.toString()}/password`, supervisorA, { newPassword: 'clave-del-supervisor' });
      expect(bySupervisor.status).to.equal(403);
      const byAgent = await api('PUT', `/staff/${agentBStaff._id.toString()}/password`, agentA, { newPassword: 'clave-de-otro-agente' });
      expect(byAgent.status).to.equal(404);
      await loginAs(url, 'agent.gdvac', PASSWORD);
      await loginAs(url, 'agent.sg', PASSWORD);
    });
  });

  describe('presence and capacity', () => {
    it('PUT /staff/me/presence sets the own presence', async () => {
      const res = await api('PUT', '/staff/me/presence', agentA, { presence: 'available' });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: agentAStaff._id.toString(), presence: 'available' });
      expect(JSON.stringify(res.body)).not.to.include('passwordHash');
    });

    it("PUT /staff/:id/presence lets a supervisor of the person's unit set it", async () => {
      const res = await api('PUT', `/staff/${agentAStaff._id.toString()}/presence`, supervisorA, { presence: 'away' });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ presence: 'away' });
      expect((await system.ctx.store.staff.get(agentAStaff._id.toString()))?.presence).to.equal('away');
    });

    it('PUT /staff/:id/presence is 404 for a supervisor of another unit and for other agents', async () => {
      const bySupervisor = await api('PUT', `/staff/${agentBStaff._id.toString()}/presence`, supervisorA, { presence: 'offline' });
      expect(bySupervisor.status).to.equal(404);
      const byAgent = await api('PUT', `/staff/${agentAStaff._id.toString()}/presence`, agentB, { presence: 'offline' });
      expect(byAgent.status).to.equal(404);
    });

    it("PUT /staff/:id/capacity lets a supervisor of the person's unit set it", async () => {
      const res = await api('PUT', `/staff/${agentAStaff._id.toString()}/capacity`, supervisorA, { phone: 2, email: 10 });
      expect(res.status).to.equal(200);
      expect((res.body as StaffView).capacity).to.include({ phone: 2, email: 10 });
    });

    it('PUT /staff/:id/capacity is 403 for the agent themselves and 404 outside scope', async () => {
      const self = await api('PUT', `/staff/${agentAStaff._id.toString()}/capacity`, agentA, { phone: 9 });
      expect(self.status).to.equal(403);
      const outside = await api('PUT', `/staff/${agentBStaff._id.toString()}/capacity`, supervisorA, { phone: 9 });
      expect(outside.status).to.equal(404);
    });

    it('refuses invalid presence and capacity bodies with 400 and the field at fault', async () => {
      const id = agentAStaff._id.toString();
      const presence = await api('PUT', '/staff/me/presence', agentA, { presence: 'sleeping' });
      expect(fieldPaths(presence)).to.deep.equal(['presence']);
      const cases: [unknown, string[]][] = [
        [{ phone: -1 }, ['phone']],
        [{ phone: 1.5 }, ['phone']],
        [{ phone: '2' }, ['phone']],
        [{ email: 101 }, ['email']],
        [{}, ['(body)']],
      ];
      for (const [body, paths] of cases) {
        const res = await api('PUT', `/staff/${id}/capacity`, supervisorA, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(fieldPaths(res), JSON.stringify(body)).to.deep.equal(paths);
      }
    });
  });

  describe('permissions in the use-cases (every caller, not only REST)', () => {
    it('refuses what the routes refuse when the service is called directly, and changes nothing', async () => {
      const before = await system.ctx.store.staff.get(agentAStaff._id.toString());
      const supervisor = actorOf(supervisorAStaff);
      const agent = actorOf(agentAStaff);
      const otherAgent = actorOf(agentBStaff);
      const agentId = agentAStaff._id.toString();
      const input = { username: 'by.service', displayName: 'Por servicio', password: PASSWORD, roles: ['admin' as const], units: [], skills: [] };
      expect(await refusal(createStaff(system.ctx, supervisor, input))).to.equal('FORBIDDEN');
      expect(await refusal(updateStaff(system.ctx, supervisor, agentId, { roles: ['admin'] }))).to.equal('FORBIDDEN');
      expect(await refusal(listStaff(system.ctx, agent, { limit: 10, offset: 0 }))).to.equal('FORBIDDEN');
      expect(await refusal(listStaff(system.ctx, supervisor, { unit: 'SG', limit: 10, offset: 0 }))).to.equal('FORBIDDEN');
      expect(await refusal(setStaffCapacity(system.ctx, agent, agentId, { phone: 9 }))).to.equal('FORBIDDEN');
      expect(await refusal(setStaffCapacity(system.ctx, supervisor, agentBStaff._id.toString(), { phone: 9 }))).to.equal('NOT_FOUND');
      expect(await refusal(setStaffPresence(system.ctx, otherAgent, agentId, 'offline'))).to.equal('NOT_FOUND');
      expect(await refusal(changePassword(system.ctx, supervisor, agentId, { newPassword: 'clave-del-supervisor' }, { ip: '127.0.0.1' }))).to.equal('FORBIDDEN');
      expect(await system.ctx.store.staff.findByUsername('by.service')).to.equal(null);
      expect((await system.ctx.store.staff.get(agentId))?.version).to.equal(before?.version);
      expect((await setStaffCapacity(system.ctx, supervisor, agentId, { phone: 2 })).capacity.phone).to.equal(2);
    });
  });

  describe('hostile input on every endpoint', () => {
    const hostileBodies: { what: string; raw: string; contentType?: string }[] = [
      { what: 'an array', raw: '[{"presence":"available"}]' },
      { what: 'a string', raw: '"available"' },
      { what: 'null', raw: 'null' },
      { what: 'wrong types', raw: JSON.stringify({ username: 1, displayName: [], password: {}, roles: 'admin', units: 'GDVAC', presence: 3, phone: true, newPassword: 7 }) },
      { what: 'operators', raw: JSON.stringify({ username: { $gt: '' }, roles: { $in: ['admin'] }, presence: { $ne: null }, phone: { $gt: 0 }, newPassword: { $gt: '' } }) },
      // Under the 256 kB body limit, so they reach validation; the body after them is over it.
      { what: 'huge strings', raw: JSON.stringify({ username: 'a'.repeat(40_000), displayName: 'b'.repeat(40_000), skills: ['c'.repeat(40_000)], presence: 'd'.repeat(40_000), newPassword: 'e'.repeat(40_000) }) },
      { what: 'an oversized body', raw: JSON.stringify({ displayName: 'a'.repeat(300_000) }) },
      { what: 'a prototype key', raw: '{"__proto__": {"roles": ["admin"]}, "constructor": {"prototype": {"admin": true}}}' },
      { what: 'malformed JSON', raw: '{"presence": ' },
      { what: 'not JSON', raw: 'presence=available', contentType: 'application/x-www-form-urlencoded' },
      { what: 'plain text', raw: 'available', contentType: 'text/plain' },
    ];

    it('answers each write endpoint with 4xx and a stable code, never 500, and changes nothing', async () => {
      const before = await system.ctx.store.staff.get(agentAStaff._id.toString());
      const id = agentAStaff._id.toString();
      const endpoints: [string, string][] = [
        ['POST', '/staff'],
        ['PATCH', `/staff/${id}`],
        ['PUT', `/staff/${id}/password`],
        ['PUT', '/staff/me/presence'],
        ['PUT', `/staff/${id}/presence`],
        ['PUT', `/staff/${id}/capacity`],
      ];
      for (const [method, path] of endpoints) {
        for (const body of hostileBodies) {
          const res = await call(url, method, `/api/v1${path}`, { token: admin.accessToken, raw: body.raw, contentType: body.contentType ?? 'application/json' });
          const label = `${method} ${path} with ${body.what}`;
          expect(res.status, label).to.be.within(400, 499);
          expect(errorCode(res), label).to.be.oneOf(['VALIDATION_FAILED', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE']);
        }
      }
      const after = await system.ctx.store.staff.get(id);
      expect(after?.version).to.equal(before?.version);
    });

    it('answers hostile list queries with 400, never 500', async () => {
      for (const query of ['limit=abc', 'limit=0', 'limit=1e9', 'offset=-1', 'role=king', 'unit[$gt]=', 'unit=A&unit=B', 'unit=' + 'x'.repeat(5000), 'sort=password']) {
        const res = await api('GET', `/staff?${query}`, admin);
        expect(res.status, query).to.equal(400);
        expect(errorCode(res), query).to.equal('VALIDATION_FAILED');
      }
    });

    it('answers every endpoint without a valid token with 401 before looking at the body', async () => {
      const id = agentAStaff._id.toString();
      const endpoints: [string, string][] = [
        ['GET', '/staff/me'],
        ['PUT', '/staff/me/presence'],
        ['POST', '/staff'],
        ['GET', '/staff'],
        ['GET', `/staff/${id}`],
        ['PATCH', `/staff/${id}`],
        ['PUT', `/staff/${id}/password`],
        ['PUT', `/staff/${id}/presence`],
        ['PUT', `/staff/${id}/capacity`],
      ];
      for (const [method, path] of endpoints) {
        for (const headers of [{}, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${'a'.repeat(10_000)}` }] as Record<string, string>[]) {
          const res = await call(url, method, `/api/v1${path}`, { headers, ...(method === 'GET' ? {} : { raw: '[]' }) });
          expect(res.status, `${method} ${path}`).to.equal(401);
          expect(errorCode(res)).to.equal('UNAUTHENTICATED');
        }
      }
    });
  });
});
