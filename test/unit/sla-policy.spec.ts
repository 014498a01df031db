import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogueError, loadCatalogue } from '../../src/config/catalogue.js';
import { createSlaFileSchema } from '../../src/config/catalogue.schema.js';
import {
  firstResponseTarget,
  formatLocalDateTime,
  isCheckDue,
  isCheckRecorded,
  pendingSlaChecks,
  planSlaDueDates,
  selectSlaPolicy,
  type SlaClockState,
  type SlaPolicy,
} from '../../src/domain/sla-policy.js';
import { TICKET_TYPES } from '../../src/domain/ticket-types.js';
import { lima, testCalendar as cal } from '../fixtures/calendar.fixture.js';

const configDir = fileURLToPath(new URL('../../config/', import.meta.url));

const days = (value: number) => ({ unit: 'business_days', value }) as const;
const minutes = (value: number) => ({ unit: 'business_minutes', value }) as const;

const POLICIES: readonly SlaPolicy[] = [
  { id: 'default', match: {}, resolution: days(15), atRiskFraction: 0.8 },
  { id: 'denuncia', match: { ticketType: 'denuncia' }, resolution: days(10), atRiskFraction: 0.8 },
  { id: 'denuncia.serenazgo', match: { ticketType: 'denuncia', unit: 'GSC' }, resolution: days(1), atRiskFraction: 0.5 },
  { id: 'reclamo', match: { ticketType: 'reclamo' }, resolution: days(30), atRiskFraction: 0.7 },
  { id: 'queja', match: { ticketType: 'queja' }, resolution: days(15), atRiskFraction: 0.8 },
  {
    id: 'consulta',
    match: { ticketType: 'consulta' },
    firstResponse: minutes(60),
    firstResponseByChannel: { phone: minutes(15) },
    resolution: days(2),
    atRiskFraction: 0.8,
  },
];

const idFor = (ticketType: (typeof TICKET_TYPES)[number], unitCode: string) => selectSlaPolicy(POLICIES, { ticketType, unitCode })?.id;

describe('SLA policies', () => {
  describe('selection', () => {
    it('prefers type + unit over type over the default', () => {
      expect(idFor('denuncia', 'GSC')).to.equal('denuncia.serenazgo');
      expect(idFor('denuncia', 'SGF')).to.equal('denuncia');
      expect(idFor('tramite', 'GSC')).to.equal('default');
    });

    it('does not depend on the order of the file', () => {
      const reversed = [...POLICIES].reverse();
      expect(selectSlaPolicy(reversed, { ticketType: 'denuncia', unitCode: 'GSC' })?.id).to.equal('denuncia.serenazgo');
      expect(selectSlaPolicy(reversed, { ticketType: 'denuncia', unitCode: 'SGF' })?.id).to.equal('denuncia');
    });

    it('keeps reclamo and queja apart', () => {
      expect(idFor('reclamo', 'GDVAC')).to.equal('reclamo');
      expect(idFor('queja', 'GDVAC')).to.equal('queja');
    });

    it('answers undefined when nothing matches (no default)', () => {
      expect(selectSlaPolicy(POLICIES.slice(1), { ticketType: 'tramite', unitCode: 'GAT' })).to.equal(undefined);
    });

    it('takes the channel-specific first-response target when there is one', () => {
      const consulta = POLICIES[5]!;
      expect(firstResponseTarget(consulta, 'phone')).to.deep.equal(minutes(15));
      expect(firstResponseTarget(consulta, 'email')).to.deep.equal(minutes(60));
      expect(firstResponseTarget(POLICIES[0]!, 'phone')).to.equal(undefined);
    });
  });

  describe('due dates and pending checks', () => {
    const consulta = POLICIES[5]!;

    it('plans first response, resolution and the at-risk instant in business time', () => {
      // Friday 16:30: 30 minutes left that day, the rest on Monday.
      const dates = planSlaDueDates(cal, consulta, 'email', lima('2026-03-06T16:30'), []);
      expect(dates.firstResponseDueAt).to.deep.equal(lima('2026-03-09T08:30'));
      expect(dates.resolutionDueAt).to.deep.equal(lima('2026-03-10T17:00'));
      // 30 + 540 + 540 = 1110 business minutes, 80 % = 888: 30 on Friday, 540 on Monday, 318 on Tuesday.
      expect(dates.atRiskAt).to.deep.equal(lima('2026-03-10T13:18'));
    });

    it('has no due dates while paused', () => {
      const dates = planSlaDueDates(cal, consulta, 'email', lima('2026-03-02T09:00'), [{ from: lima('2026-03-02T10:00') }]);
      expect(dates).to.deep.equal({});
    });

    const running: SlaClockState = {
      pauses: [],
      firstResponseDueAt: lima('2026-03-02T10:00'),
      atRiskAt: lima('2026-03-03T15:00'),
      resolutionDueAt: lima('2026-03-04T17:00'),
    };

    it('wants a check per kind while the clock runs, none when closed or paused', () => {
      expect(pendingSlaChecks(running, 'en_atencion')).to.deep.equal({
        first_response: running.firstResponseDueAt,
        at_risk: running.atRiskAt,
        resolution: running.resolutionDueAt,
      });
      expect(pendingSlaChecks(running, 'esperando_vecino')).to.deep.equal({});
      expect(pendingSlaChecks(running, 'resuelto')).to.deep.equal({});
      expect(pendingSlaChecks(running, 'anulado')).to.deep.equal({});
    });

    it('drops checks whose outcome is settled', () => {
      const answered = { ...running, firstRespondedAt: lima('2026-03-02T09:30'), atRiskNotifiedAt: lima('2026-03-03T15:00') };
      expect(pendingSlaChecks(answered, 'en_cola')).to.deep.equal({ resolution: running.resolutionDueAt });
      // A warning after the breach would be noise.
      expect(pendingSlaChecks({ ...running, breachedAt: lima('2026-03-04T17:00') }, 'en_cola')).to.deep.equal({
        first_response: running.firstResponseDueAt,
      });
    });

    it('tells a due check from a stale one and from one already recorded', () => {
      const due = running.resolutionDueAt!;
      expect(isCheckDue(running, 'en_atencion', 'resolution', due)).to.equal(true);
      expect(isCheckDue(running, 'en_atencion', 'resolution', lima('2026-03-04T16:00'))).to.equal(false);
      expect(isCheckDue(running, 'esperando_vecino', 'resolution', due)).to.equal(false);
      const breached = { ...running, breachedAt: due };
      expect(isCheckDue(breached, 'en_atencion', 'resolution', due)).to.equal(false);
      expect(isCheckRecorded(breached, 'resolution', due)).to.equal(true);
      expect(isCheckRecorded(breached, 'resolution', lima('2026-03-05T17:00'))).to.equal(false);
    });

    it('formats a date as staff in Lima read it', () => {
      expect(formatLocalDateTime(lima('2026-03-12T17:00'), -300)).to.equal('12/03/2026 17:00');
      expect(formatLocalDateTime(new Date('2026-01-01T04:59:00Z'), -300)).to.equal('31/12/2025 23:59');
    });
  });

  describe('the shipped config/sla.json', () => {
    it('has the Pueblo Libre targets', async () => {
      const { sla, services } = await loadCatalogue(configDir);
      const pick = (ticketType: (typeof TICKET_TYPES)[number], unitCode: string) => selectSlaPolicy(sla.policies, { ticketType, unitCode });
      expect(pick('reclamo', 'GDVAC')).to.deep.include({ id: 'reclamo', resolution: days(30) });
      expect(pick('queja', 'GDVAC')?.id).to.equal('queja');
      expect(pick('acceso_informacion', 'SG')).to.deep.include({ resolution: days(10) });
      expect(pick('denuncia', 'GSC')).to.deep.include({ resolution: days(1) });
      expect(pick('denuncia', 'SGF')).to.deep.include({ id: 'denuncia', resolution: days(10) });
      expect(pick('consulta', 'GAT')).to.deep.include({ firstResponse: minutes(60), resolution: days(2) });
      expect(pick('tramite', 'SGLIC')).to.deep.include({ resolution: days(30) });
      for (const service of services) {
        expect(pick(service.ticketType, service.unit), service.code).to.not.equal(undefined);
      }
      for (const ticketType of TICKET_TYPES) expect(pick(ticketType, 'GDVAC'), ticketType).to.not.equal(undefined);
    });
  });

  describe('validation', () => {
    const schema = createSlaFileSchema({ unitCodes: new Set(['GDVAC', 'GSC']) });
    const base = { id: 'default', match: {}, resolution: days(15) };

    function problems(file: unknown): { path: string; message: string }[] {
      const result = schema.safeParse(file);
      return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    }

    it('accepts a minimal file and defaults the at-risk fraction to 0.8', () => {
      const result = schema.safeParse({ policies: [base] });
      expect(result.success).to.equal(true);
      expect(result.data?.policies[0]?.atRiskFraction).to.equal(0.8);
    });

    it('demands exactly one default policy', () => {
      expect(problems({ policies: [{ ...base, match: { ticketType: 'reclamo' } }] })).to.deep.equal([
        { path: 'policies', message: 'exactly one default policy (with "match": {}) is required, found 0' },
      ]);
      expect(problems({ policies: [base, { ...base, id: 'other' }] })).to.deep.equal([
        { path: 'policies.1.match', message: 'same match as policies[0] (the default)' },
        { path: 'policies', message: 'exactly one default policy (with "match": {}) is required, found 2 (default, other)' },
      ]);
    });

    it('refuses unknown units, unit-only matches, duplicates and fractional days', () => {
      expect(
        problems({
          policies: [
            base,
            { ...base, id: 'a', match: { ticketType: 'denuncia', unit: 'XYZ' } },
            { ...base, id: 'b', match: { unit: 'GSC' } },
            { ...base, id: 'a', match: { ticketType: 'queja' }, resolution: days(1.5) },
          ],
        }),
      ).to.deep.equal([
        { path: 'policies.1.match.unit', message: 'unknown unit "XYZ"' },
        { path: 'policies.2.match.unit', message: 'a policy for a unit must also name its "ticketType"' },
        { path: 'policies.3.resolution.value', message: 'business_days must be a whole number, got 1.5' },
        { path: 'policies.3.id', message: 'duplicate policy id "a" (first used at policies[1])' },
      ]);
    });

    it('is reported by the catalogue loader with file, path and message', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sla-catalogue-'));
      try {
        await cp(configDir, dir, { recursive: true });
        const file = JSON.parse(await readFile(join(dir, 'sla.json'), 'utf8')) as { policies: { match: Record<string, string> }[] };
        file.policies[1]!.match = { ticketType: 'consulta', unit: 'NOPE' };
        await writeFile(join(dir, 'sla.json'), JSON.stringify(file));
        let error: unknown;
        try {
          await loadCatalogue(dir);
        } catch (err) {
          error = err;
        }
        expect(error).to.be.instanceOf(CatalogueError);
        expect((error as CatalogueError).problems).to.deep.equal([
          { file: join(dir, 'sla.json'), path: 'policies[1].match.unit', message: 'unknown unit "NOPE"' },
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
