import { expect } from 'chai';
import { atRiskAt, computeDueAt } from '../../src/domain/sla.js';
import { lima, testCalendar as cal } from '../fixtures/calendar.fixture.js';

describe('SLA clock', () => {
  describe('business_minutes targets', () => {
    const minutes = (value: number) => ({ unit: 'business_minutes', value }) as const;

    it('runs only in opening hours', () => {
      expect(computeDueAt(cal, lima('2026-03-02T16:00'), minutes(120), [])).to.deep.equal(lima('2026-03-03T09:00'));
    });

    it('adds the business minutes of a pause', () => {
      const due = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(240), [
        { from: lima('2026-03-02T10:00'), to: lima('2026-03-02T11:30') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-02T14:30'));
    });

    it('adds only the business part of an overnight pause', () => {
      // 420 minutes worked by 16:00, paused until Tue 09:00 (60 + 60 business minutes), 60 left
      const due = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(480), [
        { from: lima('2026-03-02T16:00'), to: lima('2026-03-03T09:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-03T10:00'));
    });

    it('does not move a deadline at closing time for a pause with no business time', () => {
      const due = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(1020), [
        { from: lima('2026-03-02T18:00'), to: lima('2026-03-03T07:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-03T17:00'));
    });

    it('counts overlapping pauses once and ignores time before the start', () => {
      const due = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(240), [
        { from: lima('2026-03-02T10:30'), to: lima('2026-03-02T11:30') },
        { from: lima('2026-03-02T10:00'), to: lima('2026-03-02T11:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-02T14:30'));
      const clipped = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(240), [
        { from: lima('2026-03-02T08:00'), to: lima('2026-03-02T10:00') },
      ]);
      expect(clipped).to.deep.equal(lima('2026-03-02T14:00'));
    });

    it('leaves an overdue case overdue when paused after the deadline', () => {
      const due = computeDueAt(cal, lima('2026-03-02T09:00'), minutes(60), [
        { from: lima('2026-03-02T11:00'), to: lima('2026-03-02T12:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-02T10:00'));
    });

    it('has no due date while paused', () => {
      expect(
        computeDueAt(cal, lima('2026-03-02T09:00'), minutes(240), [
          { from: lima('2026-03-02T09:30'), to: lima('2026-03-02T09:45') },
          { from: lima('2026-03-02T10:00') },
        ]),
      ).to.equal(undefined);
    });
  });

  describe('business_days targets', () => {
    const days = (value: number) => ({ unit: 'business_days', value }) as const;

    it('ends at closing time of the n-th business day after the start', () => {
      expect(computeDueAt(cal, lima('2026-03-02T10:00'), days(10), [])).to.deep.equal(lima('2026-03-16T17:00'));
      expect(computeDueAt(cal, lima('2026-03-07T10:00'), days(1), [])).to.deep.equal(lima('2026-03-09T17:00'));
    });

    it('moves the deadline by the business days of a pause across Holy Week', () => {
      // Without pause: Tue 31, Wed 1, Mon 6, Tue 7, Wed 8. Paused Wed 1 → Mon 6: gives back Mon 6 only
      // (Thu 2 and Fri 3 are holidays, then the weekend), so one more day: Thu 9.
      const start = lima('2026-03-30T10:00');
      expect(computeDueAt(cal, start, days(5), [])).to.deep.equal(lima('2026-04-08T17:00'));
      const due = computeDueAt(cal, start, days(5), [
        { from: lima('2026-04-01T12:00'), to: lima('2026-04-06T09:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-04-09T17:00'));
    });

    it('moves the deadline across Christmas and the year end', () => {
      // Start Mon 21 Dec, 10 days → Wed 6 Jan. Paused Tue 22 → Mon 28 gives back Wed 23, Thu 24, Mon 28
      // (Fri 25 is Navidad): Thu 7, Fri 8, Mon 11.
      const start = lima('2026-12-21T09:00');
      expect(computeDueAt(cal, start, days(10), [])).to.deep.equal(lima('2027-01-06T17:00'));
      const due = computeDueAt(cal, start, days(10), [
        { from: lima('2026-12-22T10:00'), to: lima('2026-12-28T09:00') },
      ]);
      expect(due).to.deep.equal(lima('2027-01-11T17:00'));
    });

    it('costs nothing for a pause that begins and ends the same day', () => {
      const due = computeDueAt(cal, lima('2026-03-02T10:00'), days(10), [
        { from: lima('2026-03-03T10:00'), to: lima('2026-03-03T15:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-16T17:00'));
    });

    it('ignores a pause that began after the deadline', () => {
      const due = computeDueAt(cal, lima('2026-03-02T10:00'), days(1), [
        { from: lima('2026-03-04T10:00'), to: lima('2026-03-06T10:00') },
      ]);
      expect(due).to.deep.equal(lima('2026-03-03T17:00'));
    });

    it('has no due date while paused', () => {
      expect(computeDueAt(cal, lima('2026-03-02T10:00'), days(10), [{ from: lima('2026-03-03T10:00') }])).to.equal(
        undefined,
      );
    });
  });

  describe('atRiskAt', () => {
    it('is when 80% of the business time has elapsed by default', () => {
      // 1080 business minutes; 864 = 540 on Monday + 324 on Tuesday → 13:24
      expect(atRiskAt(cal, lima('2026-03-02T08:00'), lima('2026-03-03T17:00'))).to.deep.equal(
        lima('2026-03-03T13:24'),
      );
    });

    it('accepts another fraction', () => {
      expect(atRiskAt(cal, lima('2026-03-02T08:00'), lima('2026-03-03T17:00'), 0.5)).to.deep.equal(
        lima('2026-03-02T17:00'),
      );
    });

    it('counts from the next opening when started on a weekend', () => {
      // 540 minutes on Monday; 432 → 15:12
      expect(atRiskAt(cal, lima('2026-03-07T10:00'), lima('2026-03-09T17:00'))).to.deep.equal(
        lima('2026-03-09T15:12'),
      );
    });

    it('is the deadline itself when there is no business time before it', () => {
      const due = lima('2026-03-07T12:00');
      expect(atRiskAt(cal, lima('2026-03-07T10:00'), due)).to.deep.equal(due);
    });

    it('rejects a fraction outside [0, 1]', () => {
      expect(() => atRiskAt(cal, lima('2026-03-02T08:00'), lima('2026-03-03T17:00'), 1.5)).to.throw(RangeError);
      expect(() => atRiskAt(cal, lima('2026-03-02T08:00'), lima('2026-03-03T17:00'), -0.1)).to.throw(RangeError);
    });
  });
});
