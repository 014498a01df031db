import type { AppContext } from '../services/context/index.js';
import { authenticate } from '../services/staff/index.js';
import type { Authenticator } from './auth.middleware.js';
import { authRoutes } from './auth.routes.js';
import { citizenRoutes } from './citizens.routes.js';
import { notificationRoutes } from './notifications.routes.js';
import type { RouteGroup } from './route-table.js';
import { staffRoutes } from './staff.routes.js';
import { statsRoutes } from './stats.routes.js';
import { ticketRoutes } from './tickets.routes.js';

export const API_PREFIX = '/api/v1';

/** Every route table under `/api/v1`. Each area adds its table here. */
export function apiRouteGroups(ctx: AppContext): RouteGroup[] {
  return [
    { prefix: `${API_PREFIX}/auth`, tag: 'auth', routes: authRoutes(ctx) },
    { prefix: `${API_PREFIX}/staff`, tag: 'staff', routes: staffRoutes(ctx) },
    { prefix: `${API_PREFIX}/tickets`, tag: 'tickets', routes: ticketRoutes(ctx) },
    { prefix: `${API_PREFIX}/citizens`, tag: 'citizens', routes: citizenRoutes(ctx) },
    { prefix: `${API_PREFIX}/notifications`, tag: 'notifications', routes: notificationRoutes(ctx) },
    { prefix: `${API_PREFIX}/stats`, tag: 'stats', routes: statsRoutes(ctx) },
  ];
}

export function staffAuthenticator(ctx: AppContext): Authenticator {
  return (token) => authenticate(ctx, token);
}
