import { expect } from 'chai';
import { createBusinessCalendar } from '../../src/domain/business-calendar.js';
import type { CalendarConfig } from '../../src/domain/calendar.types.js';
import { TEST_CALENDAR_CONFIG, lima, testCalendar as cal } from '../fixtures/calendar.fixture.js';

describe('business calendar', () => {
  describe('dates', () => {
    it('reads the local date in Lima, five hours behind UTC', () => {
      expect(cal.toLocalDate(new Date('2026-03-03T04:59:59Z'))).to.equal('2026-03-02');
      expect(cal.toLocalDate(new Date('2026-03-03T05:00:00Z'))).to.equal('2026-03-03');
      expect(cal.toLocalDate(lima('2026-12-31T23:30'))).to.equal('2026-12-31');
    });

    it('finds holidays by date', () => {
      expect(cal.isHoliday('2026-04-03')?.name).to.equal('Viernes Santo');
      expect(cal.isHoliday('2026-04-06')).to.equal(undefined);
    });

    it('tells business days from weekends and holidays', () => {
      expect(cal.isBusinessDay('2026-03-02')).to.equal(true);
      expect(cal.isBusinessDay('2026-03-07')).to.equal(false);
      expect(cal.isBusinessDay('2026-03-08')).to.equal(false);
      expect(cal.isBusinessDay('2026-04-02')).to.equal(false);
      expect(cal.isBusinessDay('2026-12-09')).to.equal(false);
    });

    it('rejects malformed and impossible dates', () => {
      expect(() => cal.isBusinessDay('2026-02-30')).to.throw(RangeError);
      expect(() => cal.isBusinessDay('2026-3-2')).to.throw(RangeError);
    });
  });

  describe('addBusinessDays', () => {
    it('starts counting on the next business day, across a weekend', () => {
      expect(cal.addBusinessDays('2026-03-06', 1)).to.equal('2026-03-09');
      expect(cal.addBusinessDays('2026-03-02', 1)).to.equal('2026-03-03');
      expect(cal.addBusinessDays('2026-03-02', 10)).to.equal('2026-03-16');
    });

    it('skips Holy Thursday and Good Friday', () => {
      expect(cal.addBusinessDays('2026-04-01', 1)).to.equal('2026-04-06');
      expect(cal.addBusinessDays('2026-03-31', 2)).to.equal('2026-04-06');
    });

    it('crosses Christmas and the year end', () => {
      // Fri 25 holiday; Mon 28, Tue 29, Wed 30
      expect(cal.addBusinessDays('2026-12-24', 3)).to.equal('2026-12-30');
      // … Thu 31, Fri 1 Jan holiday, Mon 4 Jan
      expect(cal.addBusinessDays('2026-12-24', 5)).to.equal('2027-01-04');
    });

    it('gives a 30-day reclamo deadline across Fiestas Patrias and Batalla de Junín', () => {
      expect(cal.addBusinessDays('2026-07-15', 30)).to.equal('2026-09-01');
    });

    it('with n = 0 returns the date itself only on a business day', () => {
      expect(cal.addBusinessDays('2026-03-09', 0)).to.equal('2026-03-09');
      expect(cal.addBusinessDays('2026-03-07', 0)).to.equal('2026-03-09');
      expect(cal.addBusinessDays('2026-04-02', 0)).to.equal('2026-04-06');
    });

    it('counts from a non-business day like from any other day', () => {
      expect(cal.addBusinessDays('2026-03-07', 1)).to.equal('2026-03-09');
    });

    it('rejects negative and fractional counts', () => {
      expect(() => cal.addBusinessDays('2026-03-02', -1)).to.throw(RangeError);
      expect(() => cal.addBusinessDays('2026-03-02', 1.5)).to.throw(RangeError);
    });
  });

  describe('businessDaysBetween and nextBusinessDay', () => {
    it('counts business days in (from, to]', () => {
      expect(cal.businessDaysBetween('2026-03-06', '2026-03-09')).to.equal(1);
      expect(cal.businessDaysBetween('2026-03-02', '2026-03-02')).to.equal(0);
      expect(cal.businessDaysBetween('2026-12-24', '2027-01-04')).to.equal(5);
      expect(cal.businessDaysBetween('2026-07-15', '2026-09-01')).to.equal(30);
    });

    it('is negative when to is before from', () => {
      expect(cal.businessDaysBetween('2027-01-04', '2026-12-24')).to.equal(-5);
    });

    it('finds the next business day', () => {
      expect(cal.nextBusinessDay('2026-12-31')).to.equal('2027-01-04');
      expect(cal.nextBusinessDay('2026-12-07')).to.equal('2026-12-10');
      expect(cal.nextBusinessDay('2026-03-02')).to.equal('2026-03-03');
    });
  });

  describe('business minutes', () => {
    it('carries time past closing into the next morning', () => {
      expect(cal.addBusinessMinutes(lima('2026-03-02T16:30'), 60)).to.deep.equal(lima('2026-03-03T08:30'));
    });

    it('stays at closing time when the time ends exactly there', () => {
      expect(cal.addBusinessMinutes(lima('2026-03-02T16:00'), 60)).to.deep.equal(lima('2026-03-02T17:00'));
      expect(cal.addBusinessMinutes(lima('2026-03-02T08:00'), 1080)).to.deep.equal(lima('2026-03-03T17:00'));
    });

    it('starts at the next opening when started outside opening hours', () => {
      expect(cal.addBusinessMinutes(lima('2026-03-02T20:00'), 30)).to.deep.equal(lima('2026-03-03T08:30'));
      expect(cal.addBusinessMinutes(lima('2026-03-03T06:00'), 30)).to.deep.equal(lima('2026-03-03T08:30'));
      expect(cal.addBusinessMinutes(lima('2026-03-07T10:00'), 0)).to.deep.equal(lima('2026-03-09T08:00'));
    });

    it('skips the weekend', () => {
      expect(cal.addBusinessMinutes(lima('2026-03-06T15:00'), 240)).to.deep.equal(lima('2026-03-09T10:00'));
    });

    it('skips holidays', () => {
      expect(cal.addBusinessMinutes(lima('2026-04-01T16:00'), 120)).to.deep.equal(lima('2026-04-06T09:00'));
    });

    it('rejects negative minutes', () => {
      expect(() => cal.addBusinessMinutes(lima('2026-03-02T09:00'), -1)).to.throw(RangeError);
      expect(() => cal.addBusinessMinutes(lima('2026-03-02T09:00'), Number.NaN)).to.throw(RangeError);
    });

    it('measures business minutes between instants', () => {
      expect(cal.businessMinutesBetween(lima('2026-03-06T15:00'), lima('2026-03-09T10:00'))).to.equal(240);
      expect(cal.businessMinutesBetween(lima('2026-03-02T07:00'), lima('2026-03-02T18:00'))).to.equal(540);
      expect(cal.businessMinutesBetween(lima('2026-03-07T07:00'), lima('2026-03-08T18:00'))).to.equal(0);
      expect(cal.businessMinutesBetween(lima('2026-04-01T16:00'), lima('2026-04-06T09:00'))).to.equal(120);
      expect(cal.businessMinutesBetween(lima('2026-03-09T10:00'), lima('2026-03-06T15:00'))).to.equal(-240);
      expect(
        cal.businessMinutesBetween(lima('2026-03-02T08:00'), new Date('2026-03-02T08:00:30-05:00')),
      ).to.equal(0.5);
    });

    it('knows when the office is open', () => {
      expect(cal.isOpen(lima('2026-03-02T08:00'))).to.equal(true);
      expect(cal.isOpen(lima('2026-03-02T16:59'))).to.equal(true);
      expect(cal.isOpen(lima('2026-03-02T17:00'))).to.equal(false);
      expect(cal.isOpen(lima('2026-03-02T07:59'))).to.equal(false);
      expect(cal.isOpen(lima('2026-03-07T10:00'))).to.equal(false);
      expect(cal.isOpen(lima('2026-04-02T10:00'))).to.equal(false);
    });
  });

  describe('dueAtEndOfBusinessDay', () => {
    it('is the closing time of that day', () => {
      expect(cal.dueAtEndOfBusinessDay('2026-03-02')).to.deep.equal(new Date('2026-03-02T22:00:00Z'));
    });

    it('moves a non-business day to the closing time of the next business day', () => {
      expect(cal.dueAtEndOfBusinessDay('2026-04-02')).to.deep.equal(lima('2026-04-06T17:00'));
    });
  });

  describe('split opening windows', () => {
    const split: CalendarConfig = {
      ...TEST_CALENDAR_CONFIG,
      businessHours: {
        ...TEST_CALENDAR_CONFIG.businessHours,
        // Given out of order on purpose: the calendar must not depend on the order in the file.
        mon: [
          { start: '14:00', end: '17:00' },
          { start: '08:00', end: '13:00' },
        ],
        sat: [{ start: '09:00', end: '13:00' }],
      },
    };
    const splitCal = createBusinessCalendar(split);

    it('does not count the lunch break', () => {
      expect(splitCal.addBusinessMinutes(lima('2026-03-02T12:30'), 60)).to.deep.equal(lima('2026-03-02T14:30'));
      expect(splitCal.addBusinessMinutes(lima('2026-03-02T13:15'), 15)).to.deep.equal(lima('2026-03-02T14:15'));
      expect(splitCal.businessMinutesBetween(lima('2026-03-02T08:00'), lima('2026-03-02T17:00'))).to.equal(480);
      expect(splitCal.isOpen(lima('2026-03-02T13:30'))).to.equal(false);
    });

    it('treats a Saturday with opening hours as a business day', () => {
      expect(splitCal.isBusinessDay('2026-03-07')).to.equal(true);
      expect(splitCal.addBusinessDays('2026-03-06', 1)).to.equal('2026-03-07');
      expect(splitCal.dueAtEndOfBusinessDay('2026-03-07')).to.deep.equal(lima('2026-03-07T13:00'));
      expect(splitCal.dueAtEndOfBusinessDay('2026-03-02')).to.deep.equal(lima('2026-03-02T17:00'));
    });
  });
});
