import { Router } from 'express';

export interface ReadinessProbe {
  /** Each check resolves true when its dependency answers. */
  checks: Record<string, () => Promise<boolean>>;
}

/**
 * `/health`: the process is up (for restarts). `/ready`: every dependency answers (for load balancers);
 * 503 with the failing checks otherwise.
 */
export function healthRoutes(probe: ReadinessProbe): Router {
  const router = Router();
  const startedAt = Date.now();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  });
  router.get('/ready', async (_req, res) => {
    const entries = Object.entries(probe.checks);
    const names = entries.map(([name]) => name);
    const answers = await Promise.all(entries.map(([, check]) => check().catch(() => false)));
    const checks = Object.fromEntries(names.map((name, i) => [name, answers[i] ? 'ok' : 'down']));
    if (answers.every(Boolean)) {
      res.json({ status: 'ready', checks });
      return;
    }
    res.status(503).json({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'A service the system depends on is not answering.', details: { checks } },
    });
  });
  return router;
}
