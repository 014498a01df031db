import type { Catalogue } from '../config/catalogue.js';
import type { Env } from '../config/env.js';
import type { RoutingStateRepository } from '../live/routing-state.repository.js';
import type { Logger } from '../logging.js';
import type { QueueSet } from '../queues/producer.js';
import type { WorkerHeartbeats } from '../queues/worker-heartbeats.js';
import type { RealtimePublisher } from '../realtime/publisher.js';
import type { Store } from '../store/connection.js';
import type { LoginThrottleRepository } from '../store/login-throttle.repository.js';

/**
 * What the core asks of the phone channel (Twilio, `channels/phone/call-control.ts`), handed in at the composition
 * root when the channel is configured.
 */
export interface PhoneCallControl {
  /**
   * Takes a waiting caller out of the queue and rings the agent's softphone. `false` when the call is no longer
   * there to connect (the caller hung up, a voicemail): nothing to redirect.
   */
  connect(call: { callSid: string; ticketId: string; staffId: string }): Promise<boolean>;
}

/** What use-cases are handed at the composition root: the same in API and worker processes. */
export interface AppContext {
  readonly env: Env;
  readonly log: Logger;
  readonly catalogue: Catalogue;
  readonly store: Store;
  readonly queues: QueueSet;
  /** Failed-login counters (Redis). */
  readonly loginThrottle: LoginThrottleRepository;
  /** Worker processes' liveness (Redis). */
  readonly heartbeats: WorkerHeartbeats;
  /** The live routing state in Redis: queues, agents' presence and room, claims (src/live). */
  readonly live: RoutingStateRepository;
  /** Live pushes to Socket.IO clients, from any process. */
  readonly realtime: RealtimePublisher;
  /** Identifies this process in heartbeats and logs: `<hostname>:<pid>`. */
  readonly instanceId: string;
  /** The phone channel's call control; absent when the phone channel is off. */
  readonly phone?: PhoneCallControl;
}
