import { expect } from 'chai';
import express from 'express';
import { createServer, type Server } from 'node:http';
import { dniCheckCharacters, isValidRuc } from '../../src/domain/identity-documents.js';
import { createHttpApp } from '../../src/http/app.js';
import type { Session } from '../../src/services/staff/index.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import {
  documentedOperations,
  DocumentValidators,
  mountedRoutes,
  openApiProblems,
  undocumentedRoutes,
  type Json,
  type OpenApiDoc,
} from '../support/openapi.js';
import { settle } from '../support/seed.js';
import { testEnv, testLog, uniqueName } from '../support/services.js';
import { call, errorCode, type Answer } from '../support/staff-fixtures.js';

const ADMIN_PASSWORD = 'clave-del-administrador-2026';
const PASSWORD = 'una-clave-bastante-larga';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Request {
  token?: string;
  params?: Record<string, string>;
  /** A query string, e.g. `status=nuevo,en_cola&page=2`. */
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(answer: Answer, ...path: string[]): unknown {
  let value: unknown = answer.body;
  for (const key of path) value = isJson(value) ? value[key] : undefined;
  return value;
}

function text(answer: Answer, ...path: string[]): string {
  const value = field(answer, ...path);
  if (typeof value !== 'string') throw new Error(`${path.join('.')} is not a string in ${JSON.stringify(answer.body)}`);
  return value;
}

/** A valid RUC with the given first ten digits: the check digit is found by asking the domain which one passes. */
function rucFrom(firstTen: string): string {
  const found = Array.from({ length: 10 }, (_, d) => `${firstTen}${d}`).find(isValidRuc);
  if (found === undefined) throw new Error(`no check digit completes ${firstTen}`);
  return found;
}

describe('OpenAPI document generated from the route tables (real HTTP, FerretDB, Redis, workers)', () => {
  let system: RunningSystem;
  let server: Server;
  let app: express.Express;
  let url: string;
  let doc: OpenApiDoc;
  let validators: DocumentValidators;
  let admin: Session;

  /** Sends a request the document allows and checks the answer against the document. */
  async function api(method: string, template: string, request: Request = {}): Promise<Answer> {
    const label = `${method} ${template}`;
    expect(validators.requestProblems(method, template, request.body), `${label}: the request body is not one the document allows`).to.deep.equal([]);
    expect(validators.queryProblems(method, template, new URLSearchParams(request.query ?? '')), `${label}: query`).to.deep.equal([]);
    expect(validators.headerProblems(method, template, request.headers ?? {}), `${label}: headers`).to.deep.equal([]);
    return send(method, template, request);
  }

  /** Sends any request and checks the answer against the document. */
  async function send(method: string, template: string, request: Request = {}): Promise<Answer> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params?.[name] ?? ''));
    const answer = await call(url, method, `${path}${request.query ? `?${request.query}` : ''}`, {
      ...(request.token !== undefined ? { token: request.token } : {}),
      ...(request.body !== undefined ? { json: request.body } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
    });
    const label = `${method} ${template} answered ${answer.status} ${JSON.stringify(answer.body ?? null).slice(0, 300)}`;
    expect(validators.answerProblems(method, template, answer.status, answer.body), label).to.deep.equal([]);
    return answer;
  }

  async function login(username: string, password: string): Promise<Session> {
    const answer = await api('POST', '/api/v1/auth/login', { body: { username, password } });
    expect(answer.status).to.equal(200);
    return answer.body as Session;
  }

  before(async () => {
    system = await startSystem(await testEnv(import.meta.filename, { ROLE: 'all', BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD }), {
      log: testLog,
      queuePrefix: uniqueName(import.meta.filename),
    });
    // An app of our own, built like the system's, so the test can read its router stack.
    app = createHttpApp({ log: testLog, ctx: system.ctx, readiness: { checks: { store: () => system.ctx.store.ping() } } });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const served = await call(url, 'GET', '/api/v1/openapi.json');
    expect(served.status).to.equal(200);
    doc = served.body as OpenApiDoc;
    validators = new DocumentValidators(doc);
    admin = await login('admin', ADMIN_PASSWORD);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await system.ctx.store.connection.dropDatabase();
    await system.stop();
  });

  it('is a valid OpenAPI 3.1 document, and every schema in it is valid JSON Schema 2020-12', () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(openApiProblems(doc)).to.deep.equal([]);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(() => validators.compile(schema), `components.schemas.${name}`).not.to.throw();
    }
    for (const { method, path } of documentedOperations(doc)) {
      const op = validators.operation(method, path);
      const declared = (Array.isArray(op.parameters) ? op.parameters : []).filter((p): p is Json => isJson(p) && p.in === 'path').map((p) => p.name);
      expect(declared.sort(), `${method} ${path}: path parameters`).to.deep.equal([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
      const schemas = [op.requestBody, ...Object.values(isJson(op.responses) ? op.responses : {})]
        .map((part) => (isJson(part) && isJson(part.content) ? part.content['application/json'] : undefined))
        .filter(isJson);
      for (const media of schemas) expect(() => validators.compile(media.schema), `${method} ${path}`).not.to.throw();
    }
  });

  it('documents every route express has mounted, and mounts every operation it documents', () => {
    const mounted = mountedRoutes(app);
    expect(undocumentedRoutes(app, doc)).to.deep.equal([]);
    const operations = documentedOperations(doc);
    const unmounted = operations.filter((op) => !mounted.some((r) => r.method === op.method && r.path === op.path));
    expect(unmounted).to.deep.equal([]);
    expect(mounted.filter((r) => r.method !== '*')).to.have.length(operations.length);
    expect(operations.length).to.be.greaterThan(25);
  });

  it('notices a route mounted outside the tables', () => {
    const other = createHttpApp({ log: testLog, ctx: system.ctx, readiness: { checks: {} } });
    const extra = express.Router();
    extra.get('/:id/export', (_req, res) => {
      res.json({});
    });
    other.use('/api/v1/tickets', extra);
    other.delete('/api/v1/staff/:id', (_req, res) => {
      res.end();
    });
    expect(undocumentedRoutes(other, doc)).to.deep.equal([
      { method: 'get', path: '/api/v1/tickets/{id}/export' },
      { method: 'delete', path: '/api/v1/staff/{id}' },
    ]);
  });

  it('answers a method a path does not offer with 405, METHOD_NOT_ALLOWED and Allow; OPTIONS with 204 and Allow', async () => {
    for (const [template, item] of Object.entries(doc.paths)) {
      const offered = METHODS.filter((m) => m in item);
      const allow = [...offered.map((m) => m.toUpperCase()), ...(offered.includes('get') ? ['HEAD'] : [])];
      const other = METHODS.find((m) => !offered.includes(m));
      if (other === undefined) continue;
      const path = template.replace(/\{id\}/g, '0123456789abcdef01234567').replace('{unitCode}', 'GDVAC');
      const refused = await call(url, other.toUpperCase(), path, { token: admin.accessToken, ...(other === 'get' ? {} : { json: {} }) });
      expect(refused.status, `${other} ${template}`).to.equal(405);
      expect(errorCode(refused), `${other} ${template}`).to.equal('METHOD_NOT_ALLOWED');
      expect(refused.headers.get('allow')?.split(', ').sort(), `${other} ${template}`).to.deep.equal(allow.sort());
      const options = await call(url, 'OPTIONS', path);
      expect(options.status, `OPTIONS ${template}`).to.equal(204);
      expect(options.headers.get('allow')?.split(', ').sort(), `OPTIONS ${template}`).to.deep.equal(allow.sort());
    }
    const unknown = await call(url, 'GET', '/api/v1/nothing-here', { token: admin.accessToken });
    expect(unknown.status).to.equal(404);
    expect(errorCode(unknown)).to.equal('ROUTE_NOT_FOUND');
  });

  it('answers as documented along the life of a ticket and of staff accounts', async () => {
    expect((await api('GET', '/health')).status).to.equal(200);
    expect((await api('GET', '/ready')).status).to.equal(200);
    const token = admin.accessToken;

    const created = await api('POST', '/api/v1/staff', {
      token,
      body: {
        username: 'doc.agent',
        displayName: 'Agente Documentado',
        email: 'Doc.Agent@MuniPLibre.gob.pe',
        password: PASSWORD,
        roles: ['agent'],
        units: ['GDVAC'],
        capacity: { manual: 5 },
        autoAssign: false,
      },
    });
    expect(created.status).to.equal(201);
    expect(created.headers.get('location')).to.equal(`/api/v1/staff/${text(created, 'id')}`);
    const agentId = text(created, 'id');
    const supervisorAnswer = await api('POST', '/api/v1/staff', {
      token,
      body: { username: 'doc.supervisor', displayName: 'Supervisora', password: PASSWORD, roles: ['supervisor'], units: ['GDVAC'] },
    });
    expect(supervisorAnswer.status).to.equal(201);
    expect((await api('PATCH', '/api/v1/staff/{id}', { token, params: { id: agentId }, body: { skills: ['tributos'], email: null } })).status).to.equal(200);
    expect((await api('PUT', '/api/v1/staff/{id}/capacity', { token, params: { id: agentId }, body: { phone: 2 } })).status).to.equal(200);
    expect((await api('GET', '/api/v1/staff', { token, query: 'role=agent&limit=10' })).status).to.equal(200);
    expect((await api('GET', '/api/v1/staff/{id}', { token, params: { id: agentId } })).status).to.equal(200);

    const agent = await login('doc.agent', PASSWORD);
    const supervisor = await login('doc.supervisor', PASSWORD);
    expect((await api('GET', '/api/v1/staff/me', { token: agent.accessToken })).status).to.equal(200);
    expect((await api('PUT', '/api/v1/staff/me/presence', { token: agent.accessToken, body: { presence: 'available' } })).status).to.equal(200);
    expect((await api('PUT', '/api/v1/staff/{id}/presence', { token: supervisor.accessToken, params: { id: agentId }, body: { presence: 'available' } })).status).to.equal(200);

    const number = '40000004';
    const ticketBody = {
      subject: 'Consulta sobre el horario de atención',
      description: 'La vecina pregunta a qué hora abre la plataforma',
      type: 'consulta',
      serviceCode: 'atencion.consulta_general',
      citizen: {
        dni: `${number}-${dniCheckCharacters(number).digit}`,
        ruc: rucFrom(`1040000004`),
        email: 'Vecina.Puntual@Correo.pe',
        phone: '+51 999-888-777',
        firstNames: 'Rosa',
        preferential: false,
      },
    };
    const headers = { 'Idempotency-Key': 'doc-form-0001' };
    const first = await api('POST', '/api/v1/tickets', { token: agent.accessToken, body: ticketBody, headers });
    expect(first.status).to.equal(201);
    expect((await api('POST', '/api/v1/tickets', { token: agent.accessToken, body: ticketBody, headers })).status).to.equal(200);
    const ticketId = text(first, 'ticket', '_id');
    await settle(system.ctx.queues, ['route', 'assign']);

    const taken = await api('POST', '/api/v1/tickets/take-next', { token: agent.accessToken, body: { channel: 'manual' } });
    expect(taken.status).to.equal(200);
    expect(text(taken, 'ticket', '_id')).to.equal(ticketId);
    expect((await api('POST', '/api/v1/tickets/take-next', { token: agent.accessToken })).status).to.equal(204);
    const version = field(taken, 'ticket', 'version');
    const started = await api('POST', '/api/v1/tickets/{id}/transitions', { token: agent.accessToken, params: { id: ticketId }, body: { action: 'start', expectedVersion: version } });
    expect(started.status).to.equal(200);
    const stale = await api('POST', '/api/v1/tickets/{id}/transitions', { token: agent.accessToken, params: { id: ticketId }, body: { action: 'wait_citizen', expectedVersion: version } });
    expect(stale.status).to.equal(409);
    expect((await api('POST', '/api/v1/tickets/{id}/notes', { token: agent.accessToken, params: { id: ticketId }, body: { body: 'Revisado' } })).status).to.equal(201);
    expect((await api('POST', '/api/v1/tickets/{id}/replies', { token: agent.accessToken, params: { id: ticketId }, body: { body: 'Su deuda es S/ 0.00', subject: 'Respuesta' } })).status).to.equal(201);
    const resolved = await api('POST', '/api/v1/tickets/{id}/transitions', { token: agent.accessToken, params: { id: ticketId }, body: { action: 'resolve', resolution: 'Informada' } });
    expect(resolved.status).to.equal(200);
    expect((await api('POST', '/api/v1/tickets/{id}/report-back/ack', { token: agent.accessToken, params: { id: ticketId } })).status).to.equal(409);
    expect((await api('GET', '/api/v1/tickets/{id}', { token: agent.accessToken, params: { id: ticketId } })).status).to.equal(200);

    const byComma = await api('GET', '/api/v1/tickets', { token: agent.accessToken, query: 'status=resuelto,en_cola&channel=manual&pageSize=10' });
    const byRepeat = await send('GET', '/api/v1/tickets', { token: agent.accessToken, query: 'status=resuelto&status=en_cola&channel=manual&pageSize=10' });
    expect(byComma.status).to.equal(200);
    expect(byRepeat.body).to.deep.equal(byComma.body);
    expect((field(byComma, 'items') as Json[]).map((t) => t._id)).to.include(ticketId);

    const other = await api('POST', '/api/v1/tickets', { token: agent.accessToken, body: { subject: 'Para derivar', serviceCode: 'atencion.consulta_general' } });
    const otherId = text(other, 'ticket', '_id');
    await settle(system.ctx.queues, ['route', 'assign']);
    expect((await api('POST', '/api/v1/tickets/{id}/assign', { token: supervisor.accessToken, params: { id: otherId }, body: { staffId: agentId } })).status).to.equal(200);
    expect((await api('POST', '/api/v1/tickets/{id}/refer', { token: agent.accessToken, params: { id: otherId }, body: { unitCode: 'GAT', reason: 'Es tributario' } })).status).to.equal(200);
    expect((await api('POST', '/api/v1/tickets/{id}/sla-extension', { token: supervisor.accessToken, params: { id: otherId }, body: { businessDays: 5, reason: 'Falta información' } })).status).to.be.oneOf([403, 404, 409]);

    expect((await api('GET', '/api/v1/notifications', { token: agent.accessToken, query: 'unread=true&limit=5' })).status).to.equal(200);
    expect((await api('POST', '/api/v1/notifications/{id}/read', { token: agent.accessToken, params: { id: '0123456789abcdef01234567' } })).status).to.equal(404);
    expect((await api('GET', '/api/v1/stats/units', { token: supervisor.accessToken })).status).to.equal(200);
    expect((await api('GET', '/api/v1/stats/units/{unitCode}', { token, params: { unitCode: 'GDVAC' } })).status).to.equal(200);

    expect((await api('PUT', '/api/v1/staff/{id}/password', { token, params: { id: agentId }, body: { newPassword: 'otra-clave-bastante-larga' } })).status).to.equal(204);
    const again = await login('doc.agent', 'otra-clave-bastante-larga');
    const own = await api('PUT', '/api/v1/staff/{id}/password', {
      token: again.accessToken,
      params: { id: agentId },
      body: { currentPassword: 'otra-clave-bastante-larga', newPassword: PASSWORD },
    });
    expect(own.status).to.equal(200);
    const refreshed = await api('POST', '/api/v1/auth/refresh', { body: { refreshToken: text(own, 'refreshToken') } });
    expect(refreshed.status).to.equal(200);
    expect((await api('POST', '/api/v1/auth/logout', { body: { refreshToken: text(refreshed, 'refreshToken') } })).status).to.equal(204);
    expect((await api('POST', '/api/v1/auth/logout-all', { token: text(refreshed, 'accessToken') })).status).to.equal(204);
    expect((await api('GET', '/api/v1/staff/me', { token: text(refreshed, 'accessToken') })).status).to.equal(401);
  });

  it('answers errors in the documented shape: 400, 401, 403, 404, 409', async () => {
    const token = admin.accessToken;
    const cases: [string, string, Request, number][] = [
      ['POST', '/api/v1/tickets', { token, body: {} }, 400],
      ['GET', '/api/v1/tickets', { token, query: 'pageSize=0' }, 400],
      ['GET', '/api/v1/tickets', {}, 401],
      ['POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'not-the-password' } }, 401],
      ['GET', '/api/v1/tickets/{id}', { token, params: { id: '0123456789abcdef01234567' } }, 404],
      ['GET', '/api/v1/tickets/{id}', { token, params: { id: 'not-an-id' } }, 404],
      ['PATCH', '/api/v1/staff/{id}', { token, params: { id: admin.staff.id }, body: { disabled: true } }, 400],
      ['POST', '/api/v1/staff', { token, body: { username: 'admin', displayName: 'Otro', password: PASSWORD, roles: ['agent'] } }, 409],
    ];
    for (const [method, template, request, status] of cases) {
      const answer = await send(method, template, request);
      expect(answer.status, `${method} ${template}`).to.equal(status);
    }
    const agentAnswer = await send('POST', '/api/v1/staff', {
      token,
      body: { username: 'doc.plain', displayName: 'Sin permisos', password: PASSWORD, roles: ['agent'], units: ['SG'] },
    });
    const agent = await login('doc.plain', PASSWORD);
    expect(agentAnswer.status).to.equal(201);
    const forbidden = await send('POST', '/api/v1/staff', { token: agent.accessToken, body: { username: 'nope.user', displayName: 'No', password: PASSWORD, roles: ['admin'] } });
    expect(forbidden.status).to.equal(403);
  });

  it('refuses exactly what the document refuses, for the inputs the fuzzer found disagreeing', async () => {
    const token = admin.accessToken;
    const target = await api('POST', '/api/v1/staff', { token, body: { username: 'doc.target', displayName: 'Objetivo', password: PASSWORD, roles: ['agent'], units: ['GDVAC'] } });
    const targetId = text(target, 'id');
    const parked = await api('POST', '/api/v1/tickets', { token, body: { subject: 'Objetivo de transiciones' } });
    const parkedId = text(parked, 'ticket', '_id');
    const number = '12345678';
    const samples: [string, string, Request][] = [
      ['POST', '/api/v1/tickets', { body: { subject: 'Con correo', citizen: { email: 'vecino@correo.pe' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Correo sin arroba', citizen: { email: 'vecino.correo.pe' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Teléfono', citizen: { phone: '01 463-4444' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Teléfono corto', citizen: { phone: '12345' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Teléfono con guiones', citizen: { phone: '------' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Teléfono con letras', citizen: { phone: '999-ABC-777' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'DNI', citizen: { dni: number } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'DNI con letra', citizen: { dni: `${number}${dniCheckCharacters(number).letter}` } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'DNI corto', citizen: { dni: '1234567' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'RUC', citizen: { ruc: rucFrom('2010000000') } } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'RUC de prefijo raro', citizen: { ruc: '99100000001' } } }],
      ['POST', '/api/v1/tickets', { body: { subject: '   ' } }],
      ['POST', '/api/v1/tickets', { body: { subject: '' } }],
      ['POST', '/api/v1/tickets', { body: { subject: 'Extra', extra: true } }],
      ['POST', '/api/v1/tickets', {}],
      ['POST', '/api/v1/tickets', { body: { subject: 'Clave corta' }, headers: { 'Idempotency-Key': 'corta' } }],
      ['GET', '/api/v1/tickets', { query: 'status=nuevo,en_cola' }],
      ['GET', '/api/v1/tickets', { query: 'status=nuevo,abierto' }],
      ['GET', '/api/v1/tickets', { query: 'status=' }],
      ['GET', '/api/v1/tickets', { query: 'from=2026-02-29' }],
      ['GET', '/api/v1/tickets', { query: 'from=2028-02-29&to=2028-03-01' }],
      ['GET', '/api/v1/tickets', { query: 'assignee=XYZ' }],
      ['POST', '/api/v1/tickets/{id}/transitions', { params: { id: parkedId }, body: { action: 'cancel' } }],
      ['POST', '/api/v1/tickets/{id}/transitions', { params: { id: parkedId }, body: { action: 'resolve' } }],
      ['POST', '/api/v1/tickets/{id}/transitions', { params: { id: parkedId }, body: { action: 'start', resolution: 'no aplica' } }],
      ['POST', '/api/v1/tickets/{id}/transitions', { params: { id: parkedId }, body: { action: 'close', expectedVersion: -1 } }],
      ['POST', '/api/v1/tickets/{id}/notes', { params: { id: parkedId }, body: { body: ' \n ' } }],
      ['POST', '/api/v1/tickets/{id}/refer', { params: { id: parkedId }, body: { unitCode: 'NOPE', reason: 'x' } }],
      ['POST', '/api/v1/tickets/take-next', { body: { channel: 'fax' } }],
      ['PATCH', '/api/v1/staff/{id}', { params: { id: targetId }, body: {} }],
      ['PATCH', '/api/v1/staff/{id}', { params: { id: targetId }, body: { units: ['GDVAC', 'GDVAC'] } }],
      ['PATCH', '/api/v1/staff/{id}', { params: { id: targetId }, body: { units: ['XX'] } }],
      ['PATCH', '/api/v1/staff/{id}', { params: { id: targetId }, body: { displayName: 'Nuevo Nombre' } }],
      ['PATCH', '/api/v1/staff/{id}', { params: { id: targetId }, body: { email: 'no es correo' } }],
      ['PUT', '/api/v1/staff/{id}/capacity', { params: { id: targetId }, body: {} }],
      ['PUT', '/api/v1/staff/{id}/capacity', { params: { id: targetId }, body: { kiosk: 3 } }],
      ['POST', '/api/v1/staff', { body: { username: 'x', displayName: 'Corto', password: PASSWORD, roles: ['agent'] } }],
      ['POST', '/api/v1/staff', { body: { username: 'doc.short', displayName: 'Clave corta', password: 'corta', roles: ['agent'] } }],
      ['POST', '/api/v1/staff', { body: { username: 'doc.noroles', displayName: 'Sin roles', password: PASSWORD, roles: [] } }],
      ['GET', '/api/v1/notifications', { query: 'after=123.0123456789abcdef01234567' }],
      ['GET', '/api/v1/notifications', { query: 'after=../../etc' }],
    ];
    for (const [method, template, request] of samples) {
      const query = new URLSearchParams(request.query ?? '');
      const byDocument = [
        ...validators.requestProblems(method, template, request.body),
        ...validators.queryProblems(method, template, query),
        ...validators.headerProblems(method, template, request.headers ?? {}),
      ];
      const answer = await send(method, template, { ...request, token });
      const label = `${method} ${template} ${JSON.stringify(request.body ?? request.query ?? request.headers ?? null)} answered ${answer.status} ${JSON.stringify(answer.body ?? null).slice(0, 200)}`;
      if (byDocument.length > 0) {
        expect(answer.status, label).to.equal(400);
        expect(errorCode(answer), label).to.equal('VALIDATION_FAILED');
      } else {
        expect(answer.status === 400 && errorCode(answer) === 'VALIDATION_FAILED', `${label} although the document allows it`).to.equal(false);
      }
    }
  });
});
