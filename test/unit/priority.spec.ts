import { expect } from 'chai';
import { arrivalOf, orderBand, PRIORITY_SCORES, priorityClassOf, priorityScore, queueOrder } from '../../src/domain/priority.js';

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

  describe('queueOrder: the key every queue is served by, lowest first', () => {
    const at = (hhmm: string): Date => new Date(`2026-03-02T${hhmm}:00-05:00`);
    const key = (priorityClass: 'preferential' | 'vpp' | 'normal', slaAtRisk: boolean, hhmm: string) => queueOrder(priorityScore({ priorityClass, slaAtRisk }), at(hhmm));

    it('puts a higher score before any lower one, whatever the arrivals', () => {
      expect(key('preferential', false, '17:00')).to.be.below(key('vpp', false, '08:00'));
      expect(key('vpp', false, '17:00')).to.be.below(key('normal', false, '08:00'));
    });

    it('ranks an at-risk ticket with the class above by arrival, without jumping older tickets of that class', () => {
      expect(key('normal', true, '09:00')).to.be.below(key('vpp', false, '09:30'));
      expect(key('normal', true, '09:00')).to.be.above(key('vpp', false, '08:30'));
      expect(key('vpp', true, '09:00')).to.equal(key('preferential', false, '09:00'));
    });

    it('serves a class by arrival, and gives back the arrival and the band each key was made from', () => {
      expect(key('normal', false, '09:00')).to.be.below(key('normal', false, '09:01'));
      for (const score of PRIORITY_SCORES) {
        const order = queueOrder(score, at('10:15'));
        expect(arrivalOf(order).getTime()).to.equal(at('10:15').getTime());
        expect(order).to.be.within(orderBand(score).min, orderBand(score).max);
      }
      expect(PRIORITY_SCORES).to.deep.equal([1, 2, 3]);
    });
  });
});
