import express, { type Express, type RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging.js';
import type { AppContext } from '../services/context/index.js';
import { API_PREFIX, apiRouteGroups, staffAuthenticator } from './api.router.js';
import { errorHandler, notFoundHandler } from './errors.middleware.js';
import { healthRoutes, type ReadinessProbe } from './health.routes.js';
import { withOpenApiDocument } from './openapi.js';
import { mountRoutes, type RouteGroup } from './route-table.js';

export interface HttpDeps {
  log: Logger;
  readiness: ReadinessProbe;
  /** The API needs the application context; health endpoints do not. */
  ctx?: AppContext;
  /** Route tables of the channels this process serves (Twilio's webhooks), built at the composition root. */
  channelGroups?: readonly RouteGroup[];
}

function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = req.get('x-request-id')?.slice(0, 100) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms) };
      if (res.statusCode >= 500) log.error(line, 'request');
      else log.debug(line, 'request');
    });
    next();
  };
}

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(deps.log));
  app.use(express.json({ limit: '256kb', strict: true }));
  // Vendors post forms (Twilio); the API itself reads JSON only.
  app.use('/webhooks', express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  const groups = withOpenApiDocument(
    [{ prefix: '', tag: 'system', routes: healthRoutes(deps.readiness) }, ...(deps.ctx ? apiRouteGroups(deps.ctx) : []), ...(deps.channelGroups ?? [])],
    API_PREFIX,
  );
  const authenticator = deps.ctx ? staffAuthenticator(deps.ctx) : undefined;
  for (const group of groups) {
    const router = express.Router();
    mountRoutes(router, group.routes, authenticator);
    if (group.prefix === '') app.use(router);
    else app.use(group.prefix, router);
  }
  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
