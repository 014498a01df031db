import { expect } from 'chai';
import { ALL_QUEUES, figuresFromCounters } from '../../src/domain/queue-stats.js';

const at = (iso: string) => new Date(iso);

describe('live queue figures from the live state\'s running totals', () => {
  const now = at('2026-11-23T15:00:00Z'); // 10:00 in Lima

  it('gives each declared queue and any other that holds counters, then the unit, with waits in seconds', () => {
    const figures = figuresFromCounters(
      ['general', 'triage'],
      [
        { queue: 'general', waiting: 2, oldestEnqueuedAt: at('2026-11-23T14:40:00Z'), atRisk: 1, answeredToday: 2, waitMsToday: 360_000, abandonedToday: 0 },
        { queue: 'reclamaciones', waiting: 0, atRisk: 0, answeredToday: 1, waitMsToday: 60_000, abandonedToday: 1 },
      ],
      now,
    );
    expect(figures.map((f) => f.queue)).to.deep.equal(['general', 'reclamaciones', 'triage', ALL_QUEUES]);
    expect(figures[0]).to.deep.equal({ queue: 'general', waiting: 2, longestWaitSeconds: 1200, averageWaitTodaySeconds: 180, atRisk: 1, answeredToday: 2, abandonedToday: 0 });
    expect(figures[1]).to.deep.include({ waiting: 0, longestWaitSeconds: 0, averageWaitTodaySeconds: 60, abandonedToday: 1 });
    expect(figures[3]).to.deep.equal({ queue: ALL_QUEUES, waiting: 2, longestWaitSeconds: 1200, averageWaitTodaySeconds: 140, atRisk: 1, answeredToday: 3, abandonedToday: 1 });
  });

  it('reports an empty queue with zeros, not NaN or Infinity, and no longest wait once nothing waits', () => {
    const [general, all] = figuresFromCounters(['general'], [{ queue: 'general', waiting: 0, oldestEnqueuedAt: at('2026-11-23T14:00:00Z'), atRisk: 0, answeredToday: 0, waitMsToday: 0, abandonedToday: 0 }], now);
    expect(general).to.deep.equal({ queue: 'general', waiting: 0, longestWaitSeconds: 0, averageWaitTodaySeconds: 0, atRisk: 0, answeredToday: 0, abandonedToday: 0 });
    expect(all).to.deep.include({ queue: ALL_QUEUES, waiting: 0, longestWaitSeconds: 0 });
  });
});
