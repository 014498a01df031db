/**
 * The figures supervisors watch, read from the live state (never from the ticket history): per unit and queue,
 * waiting, longest wait, answered and abandoned today, at SLA risk, agents by presence; the counter hall's turns and
 * counters. Pushed at most once a second per unit (`realtime.stats`), served over REST too.
 */
export { hallFigures, serviceQueues } from './hall-figures.js';
export { pushQueueStats, queueStats, queueStatsFor, requestQueueStats, supervisedQueueStats } from './queue-stats.service.js';
