import { expect } from 'chai';
import { ALL_QUEUES, computeQueueFigures, startOfLocalDay } from '../../src/domain/queue-stats.js';

const at = (iso: string) => new Date(iso);

describe('live queue figures', () => {
  const now = at('2026-11-23T15:00:00Z'); // 10:00 in Lima

  it('counts waiting tickets, the longest wait and today\'s average wait per queue and for the unit', () => {
    const figures = computeQueueFigures(
      ['general', 'triage'],
      {
        waiting: [
          { queue: 'general', enqueuedAt: at('2026-11-23T14:50:00Z'), createdAt: at('2026-11-23T14:49:00Z') },
          { queue: 'general', enqueuedAt: at('2026-11-23T14:40:00Z'), createdAt: at('2026-11-23T14:39:00Z') },
          { queue: 'triage', createdAt: at('2026-11-23T14:59:00Z') },
        ],
        atRisk: [{ queue: 'general' }],
        assignedToday: [
          { queue: 'general', enqueuedAt: at('2026-11-23T14:00:00Z'), createdAt: at('2026-11-23T14:00:00Z'), assignedAt: at('2026-11-23T14:02:00Z') },
          { queue: 'general', enqueuedAt: at('2026-11-23T14:10:00Z'), createdAt: at('2026-11-23T14:10:00Z'), assignedAt: at('2026-11-23T14:14:00Z') },
        ],
        abandonedToday: [{ queue: 'triage' }],
      },
      now,
    );
    expect(figures.map((f) => f.queue)).to.deep.equal(['general', 'triage', ALL_QUEUES]);
    expect(figures[0]).to.deep.equal({ queue: 'general', waiting: 2, longestWaitSeconds: 1200, averageWaitTodaySeconds: 180, atRisk: 1, answeredToday: 2, abandonedToday: 0 });
    expect(figures[1]).to.deep.include({ waiting: 1, longestWaitSeconds: 60, answeredToday: 0, abandonedToday: 1 });
    expect(figures[2]).to.deep.include({ waiting: 3, longestWaitSeconds: 1200, averageWaitTodaySeconds: 180, atRisk: 1, answeredToday: 2, abandonedToday: 1 });
  });

  it('reports an empty queue with zeros, not NaN or Infinity', () => {
    const [general] = computeQueueFigures(['general'], { waiting: [], atRisk: [], assignedToday: [], abandonedToday: [] }, now);
    expect(general).to.deep.equal({ queue: 'general', waiting: 0, longestWaitSeconds: 0, averageWaitTodaySeconds: 0, atRisk: 0, answeredToday: 0, abandonedToday: 0 });
  });

  it('starts "today" at midnight in Lima, not in UTC', () => {
    expect(startOfLocalDay(at('2026-11-24T03:00:00Z'), -300).toISOString()).to.equal('2026-11-23T05:00:00.000Z');
    expect(startOfLocalDay(at('2026-11-24T05:00:00Z'), -300).toISOString()).to.equal('2026-11-24T05:00:00.000Z');
  });
});
