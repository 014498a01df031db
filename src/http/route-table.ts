import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { StaffRole } from '../domain/staff.js';
import { AppError, type ERROR_CATALOGUE } from '../errors.js';
import type { StaffActor } from '../services/staff/index.js';
import { authorise, type Authenticator } from './auth.middleware.js';
import { parseInput } from './validation.js';

/*
 * One declaration per endpoint: method, path, who may call it, the zod schemas of its path parameters,
 * headers, query and body, and the schema of each answer. Express registration, input validation and the
 * OpenAPI document (`openapi.ts`) are all produced from it, so an endpoint cannot exist undocumented and the
 * document cannot promise what the parser refuses.
 */

export const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * Who may call a route: anyone; an authenticated staff member holding any of `roles` (any role when absent);
 * Twilio, whose request signature the route checks before reading anything (`signedByTwilio`); or a kiosk, with
 * its device key in {@link DEVICE_KEY_HEADER} (`deviceRoute`).
 */
export type Access = { kind: 'public' } | { kind: 'staff'; roles?: readonly StaffRole[] } | { kind: 'twilio' } | { kind: 'device' };

/** The header a kiosk sends its device key in. */
export const DEVICE_KEY_HEADER = 'X-Kiosk-Key';

/** Media types of request and response bodies: JSON for the API, a form and TwiML (XML) for Twilio's webhooks. */
export type RequestMediaType = 'application/json' | 'application/x-www-form-urlencoded';
export type ResponseMediaType = 'application/json' | 'text/xml';

/** A status some catalogue error answers with. */
export type ErrorStatus = (typeof ERROR_CATALOGUE)[keyof typeof ERROR_CATALOGUE]['status'];

export interface ResponseSpec {
  description: string;
  /** The body as it travels (JSON: ids and dates as strings); absent for an empty answer. */
  schema?: z.ZodType;
  /** JSON unless stated. */
  mediaType?: ResponseMediaType;
  headers?: Readonly<Record<string, { description: string; schema: z.ZodType }>>;
}

/** What a handler answers; `status` must be one of the route's declared `responses`. */
export interface Reply<S extends number> {
  status: S;
  /** Sent as JSON, or as it is when a string with `contentType`. */
  body?: unknown;
  contentType?: ResponseMediaType;
  headers?: Readonly<Record<string, string>>;
}

type ObjectSchema = z.ZodObject;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, H, B> {
  params: P;
  query: Q;
  headers: H;
  body: B;
  req: Request;
  res: Response;
}

interface RouteSpecBase<P, Q, H, B, S extends number> {
  method: HttpMethod;
  /** Express path relative to its router, e.g. `/:id/transitions`; each `:name` must be a key of `params`. */
  path: string;
  summary: string;
  description?: string;
  /**
   * Path parameters. A value that fails names nothing: the request goes on to the next route (so
   * `GET /tickets/take-next` is not taken for a ticket id) and, when none takes it, answers 404 NOT_FOUND.
   */
  params?: P;
  /** Request headers the route reads, keyed by their canonical name (e.g. `Idempotency-Key`). */
  headers?: H;
  query?: Q;
  /** The body; required unless the schema accepts `undefined`. */
  body?: B;
  /** JSON unless stated (the server parses forms only under `/webhooks`). */
  bodyMediaType?: RequestMediaType;
  responses: Record<S, ResponseSpec>;
  /**
   * Error statuses the use-case may answer beyond those the declaration implies (400 for input, 401/403 for
   * access, 404 for path parameters); each is documented with the catalogue codes of that status.
   */
  errors?: readonly ErrorStatus[];
}

export interface StaffRouteSpec<P, Q, H, B, S extends number> extends RouteSpecBase<P, Q, H, B, S> {
  /** Only staff holding any of these roles; the use-case checks again, this early answer saves the work. */
  roles?: readonly StaffRole[];
  handle(input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<H>, Parsed<B>> & { actor: StaffActor }): Reply<NoInfer<S>> | Promise<Reply<NoInfer<S>>>;
}

export interface PublicRouteSpec<P, Q, H, B, S extends number> extends RouteSpecBase<P, Q, H, B, S> {
  handle(input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<H>, Parsed<B>>): Reply<NoInfer<S>> | Promise<Reply<NoInfer<S>>>;
}

/** A route as a table holds it: its declaration, for the document, and `run`, which does the rest. */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly access: Access;
  readonly params: ObjectSchema | undefined;
  readonly headers: ObjectSchema | undefined;
  readonly query: ObjectSchema | undefined;
  readonly body: z.ZodType | undefined;
  readonly bodyMediaType: RequestMediaType;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly errors: readonly ErrorStatus[];
  /** Validates the input, calls the handler and sends its reply; `actor` is set when access was checked. */
  readonly run: (req: Request, res: Response, actor: StaffActor | undefined) => Promise<void>;
}

/** A router's table, mounted at `prefix` and grouped under `tag` in the document. */
export interface RouteGroup {
  readonly prefix: string;
  readonly tag: string;
  readonly routes: readonly ApiRoute[];
}

function parseParams<S extends ObjectSchema>(schema: S, req: Request): z.output<S> {
  const result = schema.safeParse(req.params);
  if (!result.success) throw new AppError('NOT_FOUND');
  return result.data;
}

function headerValues(schema: ObjectSchema, req: Request): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(schema.shape).map((name) => [name, req.get(name)]));
}

async function parseAndRun<P extends ObjectSchema | undefined, Q extends ObjectSchema | undefined, H extends ObjectSchema | undefined, B extends z.ZodType | undefined, S extends number>(
  spec: RouteSpecBase<P, Q, H, B, S>,
  req: Request,
  res: Response,
  call: (input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<H>, Parsed<B>>) => Reply<S> | Promise<Reply<S>>,
): Promise<void> {
  const input: RouteInput<unknown, unknown, unknown, unknown> = {
    params: spec.params ? parseParams(spec.params, req) : undefined,
    headers: spec.headers ? parseInput(spec.headers, headerValues(spec.headers, req), 'header') : undefined,
    query: spec.query ? parseInput(spec.query, req.query, 'query') : undefined,
    body: spec.body ? parseInput(spec.body, req.body, 'body') : undefined,
    req,
    res,
  };
  // Each field was parsed by the schema its type is derived from (or is undefined where there is none).
  const reply = await call(input as RouteInput<Parsed<P>, Parsed<Q>, Parsed<H>, Parsed<B>>);
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) res.end();
  else if (typeof reply.body === 'string' && reply.contentType !== undefined) res.type(reply.contentType).send(reply.body);
  else res.json(reply.body);
}

function declaration(spec: RouteSpecBase<ObjectSchema | undefined, ObjectSchema | undefined, ObjectSchema | undefined, z.ZodType | undefined, number>, access: Access) {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    description: spec.description,
    access,
    params: spec.params,
    headers: spec.headers,
    query: spec.query,
    body: spec.body,
    bodyMediaType: spec.bodyMediaType ?? 'application/json',
    responses: spec.responses,
    errors: spec.errors ?? [],
  };
}

/** An endpoint for authenticated staff (any role, or one of `roles`). */
export function staffRoute<
  S extends number,
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: StaffRouteSpec<P, Q, H, B, S>): ApiRoute {
  return {
    ...declaration(spec, { kind: 'staff', ...(spec.roles ? { roles: spec.roles } : {}) }),
    run: (req, res, actor) => {
      if (actor === undefined) throw new AppError('UNAUTHENTICATED');
      return parseAndRun(spec, req, res, (input) => spec.handle({ ...input, actor }));
    },
  };
}

/** An endpoint anyone may call (login, health, the document itself). */
export function publicRoute<
  S extends number,
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: PublicRouteSpec<P, Q, H, B, S>): ApiRoute {
  return { ...declaration(spec, { kind: 'public' }), run: (req, res) => parseAndRun(spec, req, res, (input) => spec.handle(input)) };
}

export interface DeviceRouteSpec<D, P, Q, H, B, S extends number> extends RouteSpecBase<P, Q, H, B, S> {
  handle(input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<H>, Parsed<B>> & { device: D }): Reply<NoInfer<S>> | Promise<Reply<NoInfer<S>>>;
}

/**
 * An endpoint for kiosks: `authenticate` turns the device key of {@link DEVICE_KEY_HEADER} into the device before the
 * input is read, or throws (UNAUTHENTICATED, RATE_LIMITED). A device key is good for these routes only.
 */
export function deviceRoute<
  D,
  S extends number,
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: DeviceRouteSpec<D, P, Q, H, B, S>, authenticate: (key: string | undefined) => Promise<D>): ApiRoute {
  return {
    ...declaration(spec, { kind: 'device' }),
    run: async (req, res) => {
      const device = await authenticate(req.get(DEVICE_KEY_HEADER));
      await parseAndRun(spec, req, res, (input) => spec.handle({ ...input, device }));
    },
  };
}

/**
 * A webhook Twilio calls, declared as a public route: the request must carry Twilio's signature over its public URL
 * and form (`verify`), checked before the input is read; otherwise 403 FORBIDDEN and nothing happens.
 */
export function signedByTwilio(route: ApiRoute, verify: (req: Request) => boolean): ApiRoute {
  return {
    ...route,
    access: { kind: 'twilio' },
    run: (req, res, actor) => {
      if (!verify(req)) throw new AppError('invalid_signature');
      return route.run(req, res, actor);
    },
  };
}

const PATH_PARAM = /:(\w+)/g;

/** The `:name` parameters of an express path. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(PATH_PARAM)].map((m) => m[1] ?? '');
}

/** Refuses at boot a route whose path parameters and `params` schema disagree, or whose path the document cannot state. */
export function assertDeclarable(route: ApiRoute): void {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  if (/[*?{}()]/.test(route.path)) throw new Error(`${where}: only plain segments and :name parameters can be documented`);
  const inPath = pathParamNames(route.path).sort();
  const declared = Object.keys(route.params?.shape ?? {}).sort();
  if (inPath.join() !== declared.join()) throw new Error(`${where}: path parameters [${inPath.join()}] but params schema [${declared.join()}]`);
  if (Object.keys(route.responses).length === 0) throw new Error(`${where}: no response declared`);
}

/** The methods a path answers, as an `Allow` header lists them (GET implies HEAD). */
function allowHeader(methods: readonly HttpMethod[]): string {
  const names = methods.map((m) => m.toUpperCase());
  if (names.includes('GET')) names.push('HEAD');
  return [...new Set(names)].join(', ');
}

/**
 * The last word on a path of the table: a method it offers got here only because a path parameter named
 * nothing (404); OPTIONS lists the methods; any other method is not offered (405).
 */
function otherMethods(allow: string): RequestHandler {
  const offered = allow.split(', ');
  return (req, res) => {
    if (offered.includes(req.method)) throw new AppError('NOT_FOUND');
    res.setHeader('allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new AppError('METHOD_NOT_ALLOWED', `${req.method} is not offered here; use ${allow}.`, { allow: offered });
  };
}

/** Passes to the next route when a path parameter fails its schema. */
function paramsGuard(route: ApiRoute): RequestHandler {
  const schema = route.params;
  return (req, _res, next) => {
    next(schema === undefined || schema.safeParse(req.params).success ? undefined : 'route');
  };
}

/**
 * Registers a table on a router: each route behind its path-parameter guard and its access check, then, for
 * every path of the table, the answer to what no route took (see `otherMethods`).
 */
export function mountRoutes(router: Router, routes: readonly ApiRoute[], authenticate: Authenticator | undefined): void {
  const methodsByPath = new Map<string, HttpMethod[]>();
  for (const route of routes) {
    assertDeclarable(route);
    const methods = methodsByPath.get(route.path) ?? [];
    if (methods.includes(route.method)) throw new Error(`${route.method.toUpperCase()} ${route.path} is declared twice`);
    methodsByPath.set(route.path, [...methods, route.method]);
    const { access } = route;
    if (access.kind === 'public' || access.kind === 'twilio' || access.kind === 'device') {
      router[route.method](route.path, paramsGuard(route), (req, res) => route.run(req, res, undefined));
      continue;
    }
    if (authenticate === undefined) throw new Error(`${route.method.toUpperCase()} ${route.path} needs an authenticator`);
    router[route.method](route.path, paramsGuard(route), async (req, res) => {
      await route.run(req, res, await authorise(req, access.roles, authenticate));
    });
  }
  for (const [path, methods] of methodsByPath) router.all(path, otherMethods(allowHeader(methods)));
}
