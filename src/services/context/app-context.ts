import type { Catalogue } from '../../config/catalogue.js';
import type { Env } from '../../config/env.js';
import type { EmailGateway, PhoneCallControl, SmsGateway } from '../../domain/outbound.js';
import type { LiveState } from '../../live/index.js';
import type { Logger } from '../../logging.js';
import type { QueueSet } from '../../queues/producer.js';
import type { WorkerHeartbeats } from '../../queues/worker-heartbeats.js';
import type { RealtimePublisher } from '../../realtime/publisher.js';
import type { Store } from '../../store/connection.js';
import type { LoginThrottleRepository } from '../../store/login-throttle.repository.js';

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
  /**
   * The live state in Redis (src/live): what waits where and who holds what, agents' loads, claims and figures;
   * agent routing (`live.routing`) and the counter hall (`live.hall`).
   */
  readonly live: LiveState;
  /** Live pushes to Socket.IO clients, from any process. */
  readonly realtime: RealtimePublisher;
  /**
   * The time, as the use cases that read it themselves ask for it (sessions and their tokens): real time in every
   * process; tests move it instead of waiting.
   */
  readonly clock: () => Date;
  /** Identifies this process in heartbeats and logs: `<hostname>:<pid>`. */
  readonly instanceId: string;
  /** The phone channel's call control; absent when the phone channel is off. */
  readonly phone?: PhoneCallControl;
  /** Text messages to citizens; absent when the phone channel is off or TWILIO_SMS_FROM is `off`. */
  readonly sms?: SmsGateway;
  /** Present when outgoing mail is configured (SMTP_HOST). */
  readonly email?: EmailGateway;
}
