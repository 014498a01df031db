import { z } from 'zod';
import { publicRoute, type ApiRoute } from './route-table.js';
import { errorView } from './schemas.js';

export interface ReadinessProbe {
  /** Each check resolves true when its dependency answers. */
  checks: Record<string, () => Promise<boolean>>;
}

const checkStates = z.record(z.string(), z.enum(['ok', 'down']));

/**
 * `/health`: the process is up (for restarts). `/ready`: every dependency answers (for load balancers);
 * 503 with the failing checks otherwise.
 */
export function healthRoutes(probe: ReadinessProbe): ApiRoute[] {
  const startedAt = Date.now();
  return [
    publicRoute({
      method: 'get',
      path: '/health',
      summary: 'The process is up',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok'), uptimeSeconds: z.int() }) } },
      handle: () => ({ status: 200, body: { status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) } }),
    }),

    publicRoute({
      method: 'get',
      path: '/ready',
      summary: 'Every service the system depends on answers',
      responses: {
        200: { description: 'Ready', schema: z.object({ status: z.literal('ready'), checks: checkStates }) },
        503: { description: 'SERVICE_UNAVAILABLE; `details.checks` says which one is down', schema: errorView(503) },
      },
      handle: async () => {
        const entries = Object.entries(probe.checks);
        const answers = await Promise.all(entries.map(([, check]) => check().catch(() => false)));
        const checks = Object.fromEntries(entries.map(([name], i) => [name, answers[i] ? 'ok' : 'down']));
        if (answers.every(Boolean)) return { status: 200, body: { status: 'ready', checks } };
        return {
          status: 503,
          body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'A service the system depends on is not answering.', details: { checks } } },
        };
      },
    }),
  ];
}
