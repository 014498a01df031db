import type { Redis } from 'ioredis';
import { createCounterHallRepository } from './counter-hall.repository.js';
import { createLiveStateRepository } from './live-state.repository.js';
import { createRoutingStateRepository } from './routing-state.repository.js';

/**
 * The live state in Redis, as the context hands it to use cases: what agent routing and the counter hall share
 * (records, loads, claims, figures, the state's lifecycle), agent routing (`routing`) and the counter hall (`hall`),
 * each with its own script and repository.
 */
export function createLiveState(redis: Redis, prefix: string) {
  return {
    ...createLiveStateRepository(redis, prefix),
    routing: createRoutingStateRepository(redis, prefix),
    hall: createCounterHallRepository(redis, prefix),
  };
}

export type LiveState = ReturnType<typeof createLiveState>;
