import { ERROR_CATALOGUE } from '../errors.js';
import { TICKET_ACTIONS, TICKET_STATUSES } from '../domain/ticket-lifecycle.js';
import { CHANNELS, TICKET_TYPES } from '../domain/ticket-types.js';
import { PRESENCES, STAFF_ROLES } from '../store/staff.model.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema?: Json): Json => ({ description, ...(schema ? json(schema) : {}) });
const errors = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: `Error (${s})`, ...json(ref('Error')) }]));
const body = (schema: Json): Json => ({ required: true, ...json(schema) });
const idParam: Json = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-f0-9]{24}$' } };
const secured = { security: [{ bearer: [] }] };
const obj = (properties: Json, required: string[] = []): Json => ({ type: 'object', additionalProperties: false, properties, required });
const str = (extra: Json = {}): Json => ({ type: 'string', ...extra });

/** The REST API as OpenAPI 3.1, served at `GET /api/v1/openapi.json`. */
export const OPENAPI_DOCUMENT: Json = {
  openapi: '3.1.0',
  info: {
    title: 'Municipal contact center API',
    version: '1',
    description:
      'Tickets, staff and identity of the citizen-attention office. Every error answers `{ "error": { "code", "message", "details"? } }` with a stable `code`.',
  },
  servers: [{ url: '/api/v1' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: obj(
        {
          error: obj(
            {
              code: str({ enum: Object.keys(ERROR_CATALOGUE) }),
              message: str(),
              details: { type: 'object', description: 'e.g. `fields: [{path, message}]` for VALIDATION_FAILED' },
            },
            ['code', 'message'],
          ),
        },
        ['error'],
      ),
      Ticket: {
        type: 'object',
        properties: {
          _id: str(),
          trackingCode: str({ example: 'PL-2026-000123' }),
          channel: str({ enum: [...CHANNELS] }),
          type: str({ enum: [...TICKET_TYPES] }),
          status: str({ enum: [...TICKET_STATUSES] }),
          unitCode: str(),
          queue: str(),
          originUnitCode: str(),
          priorityClass: str({ enum: ['preferential', 'vpp', 'normal'] }),
          priorityScore: { type: 'number' },
          slaAtRisk: { type: 'boolean' },
          subject: str(),
          assigneeId: str(),
          referral: { type: 'object' },
          resolution: { type: 'object' },
          sla: { type: 'object' },
          version: { type: 'integer', description: 'Send it back as `expectedVersion` to act only on what you saw.' },
          createdAt: str({ format: 'date-time' }),
          updatedAt: str({ format: 'date-time' }),
        },
      },
      Staff: {
        type: 'object',
        properties: {
          _id: str(),
          username: str(),
          displayName: str(),
          roles: { type: 'array', items: str({ enum: [...STAFF_ROLES] }) },
          units: { type: 'array', items: str() },
          skills: { type: 'array', items: str() },
          presence: str({ enum: [...PRESENCES] }),
          capacity: ref('PerChannel'),
          load: ref('PerChannel'),
          autoAssign: { type: 'boolean' },
          disabled: { type: 'boolean' },
        },
      },
      PerChannel: obj(Object.fromEntries(CHANNELS.map((c) => [c, { type: 'integer', minimum: 0, maximum: 100 }]))),
      Tokens: obj({ accessToken: str(), refreshToken: str(), expiresIn: { type: 'integer' } }),
    },
  },
  paths: {
    '/auth/login': {
      post: {
        summary: 'Log in with username and password',
        requestBody: body(obj({ username: str(), password: str() }, ['username', 'password'])),
        responses: { '200': ok('Tokens', ref('Tokens')), ...errors(400, 401, 429) },
      },
    },
    '/auth/refresh': {
      post: {
        summary: 'Exchange a refresh token for new tokens (rotation; reuse revokes the family)',
        requestBody: body(obj({ refreshToken: str() }, ['refreshToken'])),
        responses: { '200': ok('Tokens', ref('Tokens')), ...errors(400, 401) },
      },
    },
    '/auth/logout': { post: { summary: 'Revoke a refresh token family', responses: { '204': ok('Logged out'), ...errors(400) } } },
    '/auth/logout-all': { post: { ...secured, summary: 'Invalidate every token of the caller', responses: { '204': ok('Logged out everywhere'), ...errors(401) } } },
    '/staff': {
      get: { ...secured, summary: 'List staff (admin: all; supervisor: their units)', responses: { '200': ok('Staff page'), ...errors(400, 401, 403) } },
      post: { ...secured, summary: 'Create a staff user (admin)', responses: { '201': ok('Created', ref('Staff')), ...errors(400, 401, 403, 409) } },
    },
    '/staff/me': { get: { ...secured, summary: 'The caller', responses: { '200': ok('Staff', ref('Staff')), ...errors(401) } } },
    '/staff/me/presence': {
      put: {
        ...secured,
        summary: 'Set own presence; available drains the queue, offline returns open tickets',
        requestBody: body(obj({ presence: str({ enum: [...PRESENCES] }) }, ['presence'])),
        responses: { '200': ok('Staff', ref('Staff')), ...errors(400, 401, 409) },
      },
    },
    '/staff/{id}': {
      parameters: [idParam],
      get: { ...secured, summary: 'One staff member in scope', responses: { '200': ok('Staff', ref('Staff')), ...errors(401, 404) } },
      patch: { ...secured, summary: 'Update roles, units, skills, disabled, autoAssign (admin)', responses: { '200': ok('Staff', ref('Staff')), ...errors(400, 401, 403, 404) } },
    },
    '/staff/{id}/password': { parameters: [idParam], put: { ...secured, summary: 'Change a password', responses: { '204': ok('Changed'), ...errors(400, 401, 403, 404) } } },
    '/staff/{id}/presence': { parameters: [idParam], put: { ...secured, summary: "Set an agent's presence (supervisor)", responses: { '200': ok('Staff', ref('Staff')), ...errors(400, 401, 404) } } },
    '/staff/{id}/capacity': {
      parameters: [idParam],
      put: { ...secured, summary: 'Set capacity per channel (supervisor)', requestBody: body(ref('PerChannel')), responses: { '200': ok('Staff', ref('Staff')), ...errors(400, 401, 403, 404) } },
    },
    '/tickets': {
      get: {
        ...secured,
        summary: 'List tickets in scope',
        parameters: [
          { name: 'status', in: 'query', schema: str({ description: `comma-separated: ${TICKET_STATUSES.join(', ')}` }) },
          { name: 'unit', in: 'query', schema: str() },
          { name: 'type', in: 'query', schema: str({ enum: [...TICKET_TYPES] }) },
          { name: 'channel', in: 'query', schema: str({ enum: [...CHANNELS] }) },
          { name: 'assignee', in: 'query', schema: str() },
          { name: 'from', in: 'query', schema: str({ format: 'date' }) },
          { name: 'to', in: 'query', schema: str({ format: 'date' }) },
          { name: 'q', in: 'query', schema: str({ description: 'tracking code or subject contains' }) },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
        ],
        responses: { '200': ok('Page of tickets'), ...errors(400, 401) },
      },
      post: {
        ...secured,
        summary: 'Register a ticket by hand (send Idempotency-Key to make retries safe)',
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: str() }],
        requestBody: body(
          obj(
            {
              subject: str({ maxLength: 300 }),
              description: str(),
              type: str({ enum: [...TICKET_TYPES] }),
              serviceCode: str(),
              citizen: obj({ dni: str(), ruc: str(), email: str(), phone: str(), firstNames: str(), lastNames: str(), preferential: { type: 'boolean' } }),
            },
            ['subject'],
          ),
        ),
        responses: { '201': ok('Created'), '200': ok('Already registered with this Idempotency-Key'), ...errors(400, 401) },
      },
    },
    '/tickets/take-next': {
      post: { ...secured, summary: 'Take the best waiting ticket of your units', responses: { '200': ok('Assigned to you'), '204': ok('Nothing waiting'), ...errors(400, 401, 409) } },
    },
    '/tickets/{id}': { parameters: [idParam], get: { ...secured, summary: 'A ticket with citizen, events and interactions', responses: { '200': ok('Ticket detail'), ...errors(401, 404) } } },
    '/tickets/{id}/transitions': {
      parameters: [idParam],
      post: {
        ...secured,
        summary: `Apply an action: ${TICKET_ACTIONS.filter((a) => !['enqueue', 'assign', 'refer'].includes(a)).join(', ')}`,
        requestBody: body(obj({ action: str(), reason: str(), resolution: str(), expectedVersion: { type: 'integer' } }, ['action'])),
        responses: { '200': ok('Changed'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/tickets/{id}/assign': { parameters: [idParam], post: { ...secured, summary: 'Assign to a named agent (supervisor)', responses: { '200': ok('Assigned'), ...errors(400, 401, 403, 404, 409) } } },
    '/tickets/{id}/refer': { parameters: [idParam], post: { ...secured, summary: 'Refer (derivar) to another unit', responses: { '200': ok('Referred'), ...errors(400, 401, 403, 404, 409) } } },
    '/tickets/{id}/report-back/ack': { parameters: [idParam], post: { ...secured, summary: 'The referring office saw the report-back', responses: { '200': ok('Acknowledged'), ...errors(401, 403, 404, 409) } } },
    '/tickets/{id}/sla-extension': {
      parameters: [idParam],
      post: {
        ...secured,
        summary:
          'Extend the term of a request for public information once (prórroga, TUO Ley 27806 art. 11), within the policy\'s notice window ' +
          '(by closing time of the 2nd business day after filing); queues the notice to the citizen. Assignee, unit supervisor or admin. ' +
          '409 ILLEGAL_TRANSITION has `details.reason`: not_extendable, clock_paused, already_extended, notice_period_over.',
        requestBody: body(obj({ businessDays: { type: 'integer', minimum: 1, maximum: 365 }, reason: str({ minLength: 1, maxLength: 2000 }) }, ['businessDays', 'reason'])),
        responses: {
          '201': ok('Extended; the ticket and the queued notice'),
          '200': ok('A retry of the same extension; what is on record'),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    '/tickets/{id}/notes': { parameters: [idParam], post: { ...secured, summary: 'Add an internal note', responses: { '201': ok('Added'), ...errors(400, 401, 404) } } },
    '/tickets/{id}/replies': { parameters: [idParam], post: { ...secured, summary: 'Reply to the citizen on their channel', responses: { '201': ok('Queued'), ...errors(400, 401, 403, 404, 409) } } },
    '/stats/units': { get: { ...secured, summary: 'Live queue figures of every unit you supervise', responses: { '200': ok('Figures'), ...errors(401) } } },
    '/stats/units/{unitCode}': {
      parameters: [{ name: 'unitCode', in: 'path', required: true, schema: str() }],
      get: { ...secured, summary: 'Live queue figures of a unit (its supervisors, admins)', responses: { '200': ok('Figures'), ...errors(401, 404) } },
    },
    '/notifications': { get: { ...secured, summary: 'Your notifications (escalations, report-backs)', responses: { '200': ok('Page'), ...errors(400, 401) } } },
    '/notifications/{id}/read': { parameters: [idParam], post: { ...secured, summary: 'Mark a notification read', responses: { '200': ok('Read'), ...errors(401, 404) } } },
  },
};
