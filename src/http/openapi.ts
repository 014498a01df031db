import { z } from 'zod';
import { assertDeclarable, DEVICE_KEY_HEADER, publicRoute, type ApiRoute, type RouteGroup } from './route-table.js';
import { codesOf, errorView } from './schemas.js';

/*
 * The OpenAPI 3.1 document, generated from the route tables with zod's own JSON Schema conversion (zod 4's
 * `z.toJSONSchema`, draft 2020-12, which is OpenAPI 3.1's dialect). Inputs are stated as the parser accepts
 * them (io "input"), answers as they are sent (io "output"). Schemas named with `.meta({ id })` become
 * `components/schemas`. A schema zod cannot state (a transform in an answer, say) fails the build instead of
 * being documented as "anything". No generator package is needed: zod converts the schemas, and what remains
 * (parameters, components, error answers) is this file.
 */

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Json;
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { securitySchemes: Json; schemas: Record<string, Json> };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Points zod's local `#/$defs/<id>` references at the document's components. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string' ? [key, inner.replace(/^#\/\$defs\//, '#/components/schemas/')] : [key, rewriteRefs(inner)],
    ),
  );
}

class SchemaConverter {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const converted: Json = { ...z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'throw' }) };
    const defs = converted.$defs;
    delete converted.$schema;
    delete converted.$defs;
    if (isObject(defs)) {
      for (const [name, def] of Object.entries(defs)) this.addComponent(name, def);
    }
    const result = rewriteRefs(converted);
    return isObject(result) ? result : {};
  }

  private addComponent(name: string, def: unknown): void {
    const rewritten = rewriteRefs(def);
    if (!isObject(rewritten)) throw new Error(`schema ${name} is not an object`);
    const existing = this.components[name];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(rewritten)) {
      throw new Error(`two different schemas are named ${name} (an id used for both a request and an answer?)`);
    }
    this.components[name] = rewritten;
  }
}

function openApiPath(prefix: string, path: string): string {
  const full = `${prefix}${path === '/' ? '' : path}` || '/';
  return full.replace(/:(\w+)/g, '{$1}');
}

function operationId(group: RouteGroup, route: ApiRoute): string {
  const words = [group.tag, ...route.path.split('/').filter(Boolean).map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))];
  const pascal = words
    .flatMap((w) => w.split(/[-_.]/))
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return `${route.method}${pascal}`;
}

const LIST_NOTE = 'Comma-separated; repeating the parameter works too.';

function parameters(converter: SchemaConverter, where: 'path' | 'header' | 'query', schema: z.ZodObject | undefined): Json[] {
  if (schema === undefined) return [];
  const json = converter.convert(schema, 'input');
  const properties = isObject(json.properties) ? json.properties : {};
  const required = Array.isArray(json.required) ? json.required : [];
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...valueSchema } = isObject(property) ? property : {};
    const isList = where === 'query' && valueSchema.type === 'array';
    const notes = [typeof description === 'string' ? description : undefined, isList ? LIST_NOTE : undefined].filter((n) => n !== undefined);
    return {
      name,
      in: where,
      required: where === 'path' || required.includes(name),
      ...(notes.length > 0 ? { description: notes.join(' ') } : {}),
      schema: valueSchema,
      ...(isList ? { style: 'form', explode: false } : {}),
    };
  });
}

/** The error statuses a route can answer: those it declares and those its declaration implies. */
function errorStatuses(route: ApiRoute): Set<number> {
  const statuses = new Set<number>(route.errors);
  if (route.access.kind === 'staff' || route.access.kind === 'device') statuses.add(401);
  if (route.access.kind === 'device') statuses.add(429);
  if ((route.access.kind === 'staff' && route.access.roles) || route.access.kind === 'twilio') statuses.add(403);
  if (route.params) statuses.add(404);
  if (route.query || route.headers || route.body) statuses.add(400);
  if (route.body) {
    statuses.add(413);
    statuses.add(415);
  }
  return statuses;
}

function accessNote(route: ApiRoute): string | undefined {
  if (route.access.kind !== 'staff' || !route.access.roles) return undefined;
  return `Requires the role ${route.access.roles.join(' or ')}.`;
}

const SECURITY: Readonly<Record<ApiRoute['access']['kind'], Json[]>> = {
  public: [],
  staff: [{ bearer: [] }],
  twilio: [{ twilioSignature: [] }],
  device: [{ kioskDeviceKey: [] }],
};

function operation(converter: SchemaConverter, group: RouteGroup, route: ApiRoute): Json {
  const responses: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const headers = Object.entries(spec.headers ?? {}).map(([name, header]): [string, Json] => [
      name,
      { description: header.description, schema: converter.convert(header.schema, 'output') },
    ]);
    responses[status] = {
      description: spec.description,
      ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
      ...(spec.schema ? { content: { [spec.mediaType ?? 'application/json']: { schema: converter.convert(spec.schema, 'output') } } } : {}),
    };
  }
  const errorResponse = (status: number | '5XX'): Json => ({
    description: codesOf(status).join(', '),
    content: { 'application/json': { schema: converter.convert(errorView(status), 'output') } },
  });
  for (const status of [...errorStatuses(route)].sort((a, b) => a - b)) {
    if (!(String(status) in responses)) responses[String(status)] = errorResponse(status);
  }
  responses['5XX'] = errorResponse('5XX');

  const description = [route.description, accessNote(route)].filter((d) => d !== undefined).join('\n\n');
  const params = [
    ...parameters(converter, 'path', route.params),
    ...parameters(converter, 'header', route.headers),
    ...parameters(converter, 'query', route.query),
  ];
  return {
    operationId: operationId(group, route),
    tags: [group.tag],
    summary: route.summary,
    ...(description ? { description } : {}),
    security: SECURITY[route.access.kind],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? { requestBody: { required: !route.body.safeParse(undefined).success, content: { [route.bodyMediaType]: { schema: converter.convert(route.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** Builds the document of every route of `groups`. */
export function buildOpenApiDocument(groups: readonly RouteGroup[]): OpenApiDocument {
  const converter = new SchemaConverter();
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const group of groups) {
    for (const route of group.routes) {
      assertDeclarable(route);
      const path = openApiPath(group.prefix, route.path);
      const op = operation(converter, group, route);
      const id = String(op.operationId);
      if (operationIds.has(id)) throw new Error(`operationId ${id} is used twice`);
      operationIds.add(id);
      paths[path] = { ...paths[path], [route.method]: op };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Municipal contact center API',
      version: '1',
      description:
        'Tickets, staff and identity of the citizen-attention office. Every error answers `{ "error": { "code", "message", "details"? } }` ' +
        'with a stable `code`. A path answers a method it does not offer with 405 METHOD_NOT_ALLOWED and an `Allow` header. ' +
        'Paths are absolute: the document names no server, so the default, `/` on the host serving it, applies.',
    },
    tags: groups.map((g) => ({ name: g.tag })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        twilioSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Twilio-Signature',
          description: "Twilio's HMAC-SHA1 signature of the public URL (PUBLIC_BASE_URL + path and query) and the form parameters, keyed with the auth token.",
        },
        kioskDeviceKey: {
          type: 'apiKey',
          in: 'header',
          name: DEVICE_KEY_HEADER,
          description: 'A kiosk\'s device key, issued once by an admin (`POST /api/v1/kiosk/devices`); it can take turns and nothing else, and is refused once revoked.',
        },
      },
      schemas: converter.components,
    },
  };
}

/**
 * `groups` plus `GET <prefix>/openapi.json`, which serves the document of all of them, itself included. The
 * document is built here, at boot, so a route that cannot be documented stops the start.
 */
export function withOpenApiDocument(groups: readonly RouteGroup[], prefix: string): RouteGroup[] {
  const self: RouteGroup = {
    prefix,
    tag: 'meta',
    routes: [
      publicRoute({
        method: 'get',
        path: '/openapi.json',
        summary: 'This document (OpenAPI 3.1)',
        responses: { 200: { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
        handle: () => ({ status: 200, body: document }),
      }),
    ],
  };
  const all = [...groups, self];
  // Read by the handler above, which runs only once the app is serving.
  const document = buildOpenApiDocument(all);
  return all;
}
