import { expect } from 'chai';
import { compareQueueEntries, priorityClassOf, priorityScore } from '../../src/domain/priority.js';
import type { QueueEntry } from '../../src/domain/priority.js';

describe('priority', () => {
  describe('priorityClassOf', () => {
    it('puts preferential attention above VPP when both apply', () => {
      expect(priorityClassOf({ preferential: true, vpp: true })).to.equal('preferential');
      expect(priorityClassOf({ preferential: true, vpp: false })).to.equal('preferential');
      expect(priorityClassOf({ preferential: false, vpp: true })).to.equal('vpp');
      expect(priorityClassOf({ preferential: false, vpp: false })).to.equal('normal');
    });
  });

  describe('priorityScore', () => {
    it('orders preferential > vpp > normal', () => {
      expect(priorityScore({ priorityClass: 'preferential', slaAtRisk: false })).to.equal(3);
      expect(priorityScore({ priorityClass: 'vpp', slaAtRisk: false })).to.equal(2);
      expect(priorityScore({ priorityClass: 'normal', slaAtRisk: false })).to.equal(1);
    });

    it('raises an at-risk ticket one class, never above preferential', () => {
      expect(priorityScore({ priorityClass: 'normal', slaAtRisk: true })).to.equal(2);
      expect(priorityScore({ priorityClass: 'vpp', slaAtRisk: true })).to.equal(3);
      expect(priorityScore({ priorityClass: 'preferential', slaAtRisk: true })).to.equal(3);
    });
  });

  describe('compareQueueEntries', () => {
    const at = (hhmm: string): Date => new Date(`2026-03-02T${hhmm}:00-05:00`);
    const entry = (id: string, priorityClass: 'preferential' | 'vpp' | 'normal', slaAtRisk: boolean, hhmm: string) =>
      ({ id, score: priorityScore({ priorityClass, slaAtRisk }), enqueuedAt: at(hhmm) }) satisfies QueueEntry;

    it('serves higher scores first, then the oldest, then by id', () => {
      const queue: QueueEntry[] = [
        entry('n-late', 'normal', false, '10:30'),
        entry('n-risk', 'normal', true, '09:00'),
        entry('v-new', 'vpp', false, '10:00'),
        entry('v-old', 'vpp', false, '09:30'),
        entry('p-new', 'preferential', false, '10:15'),
        entry('v-risk', 'vpp', true, '09:45'),
        entry('n-b', 'normal', false, '10:20'),
        entry('n-a', 'normal', false, '10:20'),
      ];
      const order = [...queue].sort(compareQueueEntries).map((e) => e.id);
      expect(order).to.deep.equal(['v-risk', 'p-new', 'n-risk', 'v-old', 'v-new', 'n-a', 'n-b', 'n-late']);
    });

    it('gives the same order whatever the input order', () => {
      const a = entry('a', 'normal', false, '09:00');
      const b = entry('b', 'normal', false, '09:00');
      expect([a, b].sort(compareQueueEntries)).to.deep.equal([b, a].sort(compareQueueEntries));
      expect(compareQueueEntries(a, a)).to.equal(0);
    });
  });
});
