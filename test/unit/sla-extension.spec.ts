import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { createSlaFileSchema } from '../../src/config/catalogue.schema.js';
import {
  decideExtension,
  extensionNotice,
  extensionNoticeDeadline,
  formatLocalDate,
  withExtension,
  type ExtensionCandidate,
} from '../../src/domain/sla-extension.js';
import { planSlaDueDates, type SlaExtensionRule, type SlaPolicy } from '../../src/domain/sla-policy.js';
import { lima, testCalendar as cal } from '../fixtures/calendar.fixture.js';

const configDir = fileURLToPath(new URL('../../config/', import.meta.url));

const RULE: SlaExtensionRule = { maxBusinessDays: 10, noticeWithinBusinessDays: 2 };

function candidate(startedAt: Date, overrides: Partial<ExtensionCandidate> = {}): ExtensionCandidate {
  return { ticketType: 'acceso_informacion', status: 'en_atencion', sla: { startedAt }, rule: RULE, extendedBefore: false, ...overrides };
}

describe('extension (prórroga) of a request for public information', () => {
  describe('the notice window: until closing time of the 2nd business day after the filing day', () => {
    // The test calendar has Tuesday 8 and Wednesday 9 December 2026 as holidays.
    const fridayMorning = lima('2026-12-04T10:00');

    it('runs across the weekend and the holidays: filed on Friday, it ends on Thursday at closing time', () => {
      expect(extensionNoticeDeadline(cal, fridayMorning, RULE)).to.deep.equal(lima('2026-12-10T17:00'));
    });

    it('does not count the filing day, whatever the hour it came in', () => {
      expect(extensionNoticeDeadline(cal, lima('2026-12-04T18:30'), RULE)).to.deep.equal(lima('2026-12-10T17:00'));
      expect(extensionNoticeDeadline(cal, lima('2026-12-04T07:00'), RULE)).to.deep.equal(lima('2026-12-10T17:00'));
    });

    it('counts a weekend filing from the next business day as day 1', () => {
      expect(extensionNoticeDeadline(cal, lima('2026-12-05T11:00'), RULE)).to.deep.equal(lima('2026-12-10T17:00'));
      expect(extensionNoticeDeadline(cal, lima('2026-11-28T11:00'), RULE)).to.deep.equal(lima('2026-12-01T17:00'));
    });

    it('ends on Tuesday for a Friday filing when no holiday intervenes', () => {
      expect(extensionNoticeDeadline(cal, lima('2026-11-27T15:00'), RULE)).to.deep.equal(lima('2026-12-01T17:00'));
    });

    it('allows the extension up to the deadline and refuses it after', () => {
      for (const at of ['2026-12-04T10:05', '2026-12-07T09:00', '2026-12-08T12:00', '2026-12-10T16:59', '2026-12-10T17:00']) {
        expect(decideExtension(cal, candidate(fridayMorning), lima(at)), at).to.deep.equal({ ok: true, noticeDeadline: lima('2026-12-10T17:00') });
      }
      for (const at of ['2026-12-10T17:01', '2026-12-11T09:00']) {
        expect(decideExtension(cal, candidate(fridayMorning), lima(at)), at).to.deep.equal({
          ok: false,
          reason: 'notice_period_over',
          noticeDeadline: lima('2026-12-10T17:00'),
        });
      }
    });

    it('follows the configured number of days', () => {
      expect(extensionNoticeDeadline(cal, fridayMorning, { maxBusinessDays: 10, noticeWithinBusinessDays: 1 })).to.deep.equal(lima('2026-12-07T17:00'));
    });
  });

  describe('refusals', () => {
    const startedAt = lima('2026-12-04T10:00');
    const now = lima('2026-12-07T10:00');

    it('refuses what the law does not let extend: another type, a policy without extension, no SLA, a closed case', () => {
      const cases: Partial<ExtensionCandidate>[] = [{ ticketType: 'reclamo' }, { rule: undefined }, { sla: undefined }, { status: 'resuelto' }, { status: 'anulado' }];
      for (const overrides of cases) {
        expect(decideExtension(cal, candidate(startedAt, overrides), now), JSON.stringify(overrides)).to.deep.equal({ ok: false, reason: 'not_extendable' });
      }
    });

    it('allows one extension only, also across a reopen', () => {
      const extension = { businessDays: 5, reason: 'Volumen', by: 'x', at: startedAt, previousResolutionDueAt: startedAt, resolutionDueAt: startedAt };
      expect(decideExtension(cal, candidate(startedAt, { sla: { startedAt, extension } }), now)).to.deep.equal({ ok: false, reason: 'already_extended' });
      expect(decideExtension(cal, candidate(startedAt, { extendedBefore: true }), now)).to.deep.equal({ ok: false, reason: 'already_extended' });
    });

    it('refuses while the clock is paused, as the new date is unknown, but says so only within the window', () => {
      expect(decideExtension(cal, candidate(startedAt, { status: 'esperando_vecino' }), now)).to.deep.include({ ok: false, reason: 'clock_paused' });
      expect(decideExtension(cal, candidate(startedAt, { status: 'esperando_vecino' }), lima('2026-12-11T09:00'))).to.deep.include({
        ok: false,
        reason: 'notice_period_over',
      });
    });
  });

  describe('the extended term', () => {
    const policy: SlaPolicy = { id: 'acceso', match: { ticketType: 'acceso_informacion' }, resolution: { unit: 'business_days', value: 10 }, atRiskFraction: 0.7, extension: RULE };

    it('adds the business days to the resolution target, so recomputed dates keep it', () => {
      const startedAt = lima('2026-12-04T10:00');
      const before = planSlaDueDates(cal, policy, 'email', startedAt, []);
      const after = planSlaDueDates(cal, withExtension(policy, { businessDays: 5 }), 'email', startedAt, []);
      expect(before.resolutionDueAt).to.deep.equal(cal.dueAtEndOfBusinessDay(cal.addBusinessDays('2026-12-04', 10)));
      expect(after.resolutionDueAt).to.deep.equal(cal.dueAtEndOfBusinessDay(cal.addBusinessDays('2026-12-04', 15)));
      expect(after.atRiskAt!.getTime()).to.be.greaterThan(before.atRiskAt!.getTime());
      expect(withExtension(policy, undefined)).to.equal(policy);
      const minutes: SlaPolicy = { ...policy, resolution: { unit: 'business_minutes', value: 60 } };
      expect(withExtension(minutes, { businessDays: 5 })).to.equal(minutes);
    });

    it('tells the citizen the reason and the new date, in Lima time, in the shipped es-PE template', async () => {
      // 17:00 in Lima is 22:00 UTC: the date must not be the UTC one.
      expect(formatLocalDate(lima('2026-12-15T17:00'), -300)).to.equal('15/12/2026');
      expect(formatLocalDate(new Date('2026-12-16T03:00:00Z'), -300)).to.equal('15/12/2026');
      const { templates } = await loadCatalogue(configDir);
      const notice = extensionNotice(templates, { trackingCode: 'PL-2026-000123', dueAt: lima('2026-12-15T17:00'), utcOffsetMinutes: -300, reason: 'el volumen de la información solicitada' });
      expect(notice.subject).to.equal('Prórroga del plazo de su solicitud PL-2026-000123');
      expect(notice.body).to.contain('el plazo para atender su solicitud PL-2026-000123 se prorroga hasta el 15/12/2026 por el siguiente motivo: el volumen de la información solicitada.');
      expect(extensionNotice(templates, { trackingCode: 'X', dueAt: lima('2026-12-15T17:00'), utcOffsetMinutes: -300, reason: 'Falta de personal.' }).body).to.match(/personal\.$/);
    });
  });

  describe('configuration', () => {
    const days = (value: number) => ({ unit: 'business_days', value }) as const;
    const file = (extra: Record<string, unknown>) => ({
      policies: [{ id: 'default', match: {}, resolution: days(15) }, { id: 'p', match: { ticketType: 'acceso_informacion' }, resolution: days(10), ...extra }],
    });
    const problems = (input: unknown): string[] => {
      const result = createSlaFileSchema({}).safeParse(input);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };

    it('ships the extension on the acceso_informacion policy only', async () => {
      const catalogue = await loadCatalogue(configDir);
      const withRule = catalogue.sla.policies.filter((policy) => policy.extension !== undefined);
      expect(withRule.map((policy) => policy.id)).to.deep.equal(['acceso_informacion']);
      expect(withRule[0]?.extension).to.deep.equal({ maxBusinessDays: 10, noticeWithinBusinessDays: 2 });
      expect(withRule[0]?.note).to.contain('art. 11');
    });

    it('accepts a valid extension and rejects one the law or the arithmetic does not allow', () => {
      expect(problems(file({ extension: { maxBusinessDays: 10, noticeWithinBusinessDays: 2 } }))).to.deep.equal([]);
      expect(problems({ policies: [{ id: 'default', match: {}, resolution: days(15), extension: RULE }] })).to.deep.equal([
        'policies.0.extension: only a policy for acceso_informacion may allow an extension (Ley 27806, art. 11)',
      ]);
      expect(problems(file({ resolution: { unit: 'business_minutes', value: 600 }, extension: RULE }))).to.deep.equal([
        'policies.1.extension: an extension adds business days: "resolution" must be in business_days',
      ]);
      expect(problems(file({ extension: { maxBusinessDays: 10, noticeWithinBusinessDays: 10 } }))).to.deep.equal([
        'policies.1.extension.noticeWithinBusinessDays: must be less than the resolution term (10 business days)',
      ]);
      expect(problems(file({ extension: { maxBusinessDays: 0, noticeWithinBusinessDays: 2 } }))).to.deep.equal(['policies.1.extension.maxBusinessDays: must be at least 1']);
      expect(problems(file({ extension: { maxBusinessDays: 2.5, noticeWithinBusinessDays: 2 } }))).to.have.length(1);
      expect(problems(file({ extension: { maxBusinessDays: 5 } }))).to.have.length(1);
      expect(problems(file({ extension: { maxBusinessDays: 5, noticeWithinBusinessDays: 2, extra: true } }))).to.have.length(1);
    });
  });
});
