import { expect } from 'chai';
import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogueError, formatProblems, loadCatalogue, type CatalogueProblem } from '../../src/config/catalogue.js';
import { routeContact, type RoutingHint } from '../../src/domain/routing.js';
import { CHANNELS, TICKET_TYPES, type Channel } from '../../src/domain/ticket-types.js';

const shippedConfigDir = fileURLToPath(new URL('../../config/', import.meta.url));

type Json = Record<string, unknown>;

interface ShippedFiles {
  units: { units: Json[] };
  services: { services: Json[] };
  calendar: { businessHours: Record<string, Json[]>; holidays: Json[] } & Json;
}

async function readShipped(): Promise<ShippedFiles> {
  const read = async (name: string): Promise<unknown> =>
    JSON.parse(await readFile(join(shippedConfigDir, name), 'utf8')) as unknown;
  return {
    units: (await read('units.json')) as ShippedFiles['units'],
    services: (await read('services.json')) as ShippedFiles['services'],
    calendar: (await read('calendar.json')) as ShippedFiles['calendar'],
  };
}

async function expectCatalogueError(configDir: string): Promise<CatalogueError> {
  try {
    await loadCatalogue(configDir);
  } catch (error) {
    expect(error).to.be.instanceOf(CatalogueError);
    return error as CatalogueError;
  }
  expect.fail('loadCatalogue should have thrown a CatalogueError');
}

describe('configuration catalogue', function () {
  describe('the shipped config/', function () {
    it('loads, with the Defensoría al Vecino as the one attention office', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);

      expect(catalogue.attentionOffice.code).to.equal('GDVAC');
      expect(catalogue.attentionOffice.name).to.equal('Gerencia de Defensoría al Vecino y Atención al Ciudadano');
      expect(catalogue.units.filter((unit) => unit.isAttentionOffice === true)).to.have.length(1);
      expect(catalogue.unitByCode('GDVAC')).to.equal(catalogue.attentionOffice);
      expect(catalogue.unitByCode('NOPE')).to.equal(undefined);
    });

    it('resolves every service to an existing unit, with known ticket types and channels', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);

      expect(catalogue.services.length).to.be.within(25, 35);
      for (const service of catalogue.services) {
        expect(catalogue.unitByCode(service.unit), `${service.code} → ${service.unit}`).to.not.equal(undefined);
        expect(catalogue.serviceByCode(service.code)).to.equal(service);
        expect(TICKET_TYPES).to.include(service.ticketType);
        for (const channel of service.channels) expect(CHANNELS).to.include(channel);
      }
      expect(catalogue.serviceByCode('transparencia.acceso_informacion')).to.include({
        unit: 'SG',
        ticketType: 'acceso_informacion',
      });
      expect(catalogue.serviceByCode('atencion.libro_reclamaciones')).to.include({
        unit: 'GDVAC',
        ticketType: 'reclamo',
      });
      for (const unit of catalogue.units) {
        if (unit.parent !== undefined) expect(catalogue.unitByCode(unit.parent), unit.code).to.not.equal(undefined);
      }
    });

    it('has the 2026 holidays, sorted, with decreed days naming their decree', async function () {
      const { calendar } = await loadCatalogue(shippedConfigDir);
      const dates = calendar.holidays.map((holiday) => holiday.date);

      expect(dates).to.include.members(['2026-01-01', '2026-04-02', '2026-04-03', '2026-12-09', '2027-03-25']);
      expect(dates).to.deep.equal([...dates].sort());
      expect(calendar.holidays.find((holiday) => holiday.date === '2026-01-02')).to.deep.equal({
        date: '2026-01-02',
        name: 'Día no laborable compensable para el sector público',
        kind: 'non_working_public',
        source: 'D.S. 042-2025-PCM',
      });
      expect(calendar.businessHours.sat).to.deep.equal([]);
    });

    it('is deeply frozen', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);

      expect(Object.isFrozen(catalogue)).to.equal(true);
      expect(Object.isFrozen(catalogue.units)).to.equal(true);
      expect(Object.isFrozen(catalogue.attentionOffice)).to.equal(true);
      expect(Object.isFrozen(catalogue.services[0]!.channels)).to.equal(true);
      expect(Object.isFrozen(catalogue.calendar.businessHours.mon[0])).to.equal(true);
      expect(Object.isFrozen(catalogue.calendar.holidays)).to.equal(true);
    });

    it('has a routing table that sends each IVR digit, kiosk service and mailbox where the office expects', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);
      const route = (channel: Channel, hint: RoutingHint) => routeContact({ channel, hint }, catalogue);
      const where = (channel: Channel, hint: RoutingHint) => {
        const { unitCode, queue, requiredSkills, serviceCode, ticketType } = route(channel, hint);
        return { unitCode, queue, requiredSkills, serviceCode, ticketType };
      };

      expect(catalogue.routing.triage).to.deep.equal({ unit: 'GDVAC', queue: 'triage', skills: [] });
      expect(Object.isFrozen(catalogue.routing.rules[0]!.then.skills)).to.equal(true);
      const ivr = Object.fromEntries(
        ['1', '2', '3', '4', '5', '6', '9', '0'].map((digits) => [digits, route('phone', { ivrDigits: digits }).unitCode]),
      );
      expect(ivr).to.deep.equal({
        1: 'GAT',
        2: 'SGLIC',
        3: 'SGOPC',
        4: 'GSC',
        5: 'GSCIU',
        6: 'SGRC',
        9: 'GDVAC',
        0: 'GDVAC',
      });
      expect(where('phone', { ivrDigits: '4' })).to.deep.equal({
        unitCode: 'GSC',
        queue: 'serenazgo',
        requiredSkills: ['serenazgo'],
        serviceCode: 'serenazgo.patrullaje',
        ticketType: 'denuncia',
      });
      expect(where('phone', { ivrDigits: '0' })).to.include({ unitCode: 'GDVAC', queue: 'general' });
      expect(where('phone', { ivrDigits: '8' })).to.include({ unitCode: 'GDVAC', queue: 'triage' });
      expect(where('kiosk', { kioskService: 'caja' })).to.include({ unitCode: 'SGRCT', queue: 'recaudacion' });
      expect(where('kiosk', { kioskService: 'vecino_puntual' })).to.include({
        unitCode: 'GDVAC',
        queue: 'vecino_puntual',
        serviceCode: 'vpp.tarjeta',
      });
      expect(where('email', { emailTo: 'transparencia@muniplibre.gob.pe' })).to.include({
        unitCode: 'SG',
        ticketType: 'acceso_informacion',
      });
      expect(where('email', { emailTo: 'reclamos@muniplibre.gob.pe' })).to.include({
        unitCode: 'GDVAC',
        queue: 'reclamaciones',
        ticketType: 'reclamo',
      });

      // The general mailbox is classified by keywords first; what they do not place stays with the office.
      const general = 'atencionalciudadano@muniplibre.gob.pe';
      expect(where('email', { emailTo: general, text: 'Hay DESMONTE en la esquina de mi casa' })).to.include({
        unitCode: 'SGLP',
        serviceCode: 'limpieza.recojo_maleza_desmonte',
      });
      expect(where('email', { emailTo: general, text: 'Pido una copia de la partida de matrimonio' })).to.include({
        serviceCode: 'registro_civil.partidas',
      });
      expect(where('email', { emailTo: general, text: 'construcción sin licencia en mi cuadra' })).to.include({
        serviceCode: 'fiscalizacion.construccion_irregular',
      });
      expect(where('email', { emailTo: general, text: 'Buenos días, una consulta' })).to.include({
        unitCode: 'GDVAC',
        queue: 'general',
      });
      expect(where('email', { emailTo: 'otra@example.com', text: 'Buenos días' })).to.include({ queue: 'triage' });
    });

    it('reads the office\'s mailbox, every address of it routed by an email rule', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);
      expect(catalogue.mailboxes.reopenWindowDays).to.equal(15);
      expect(catalogue.mailboxes.attachments).to.deep.equal({ maxFileBytes: 10 * 1_048_576, maxMessageBytes: 25 * 1_048_576 });
      expect(catalogue.mailboxes.mailboxes.map((m) => [m.id, m.address, m.folder, m.processedFolder])).to.deep.equal([['atencion', 'atencionalciudadano@muniplibre.gob.pe', 'INBOX', 'Procesados']]);
      const where = (emailTo: string) => routeContact({ channel: 'email', hint: { emailTo } }, catalogue);
      expect(where('atencionalciudadano@muniplibre.gob.pe')).to.include({ unitCode: 'GDVAC', queue: 'general' });
      for (const alias of catalogue.mailboxes.mailboxes[0]!.aliases) expect(where(alias).ruleId, alias).to.match(/^email-/);
      expect(Object.isFrozen(catalogue.mailboxes.mailboxes[0]!.aliases)).to.equal(true);
    });

    it('has a counter hall whose every service is routed by a kiosk rule and served by a counter', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);
      const { kiosk } = catalogue;
      expect(kiosk.hall.recallsBeforeNoShow).to.equal(2);
      expect(kiosk.services.map((s) => s.prefix)).to.have.members(['C', 'R', 'D', 'L', 'RC', 'VP', 'LR', 'O']);
      for (const service of kiosk.services) {
        const decision = routeContact({ channel: 'kiosk', hint: { kioskService: service.routingHint } }, catalogue);
        expect(decision.ruleId, service.code).to.match(/^kiosk-/);
        expect(kiosk.counters.some((c) => c.services.includes(service.code)), service.code).to.equal(true);
      }
      expect(routeContact({ channel: 'kiosk', hint: { kioskService: 'declaracion_jurada' } }, catalogue)).to.include({ unitCode: 'GAT', serviceCode: 'rentas.declaracion_jurada' });
      expect(kiosk.counterByCode('V3')?.name).to.equal('Ventanilla 3');
      expect(kiosk.serviceByCode('caja')?.lastTurnAt).to.equal('16:30');
      expect(Object.isFrozen(kiosk.counters[0]?.services)).to.equal(true);
    });

    it('routes an explicit code of every service to that service’s unit', async function () {
      const catalogue = await loadCatalogue(shippedConfigDir);

      for (const service of catalogue.services) {
        const decision = routeContact({ channel: 'manual', hint: { serviceCode: service.code } }, catalogue);
        expect(decision, service.code).to.include({
          unitCode: service.unit,
          serviceCode: service.code,
          ticketType: service.ticketType,
        });
        expect(catalogue.routing.queues.map((queue) => `${queue.unit}/${queue.code}`), service.code).to.include(
          `${decision.unitCode}/${decision.queue}`,
        );
      }
    });
  });

  describe('broken catalogues', function () {
    let dir: string;
    let files: ShippedFiles;

    beforeEach(async function () {
      dir = await mkdtemp(join(tmpdir(), 'catalogue-'));
      files = await readShipped();
    });

    afterEach(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    async function writeAll(): Promise<void> {
      await writeFile(join(dir, 'units.json'), JSON.stringify(files.units, null, 2));
      await writeFile(join(dir, 'services.json'), JSON.stringify(files.services, null, 2));
      await writeFile(join(dir, 'calendar.json'), JSON.stringify(files.calendar, null, 2));
      // The SLA policies, the templates, the phone menu and the mailboxes are not what these cases break: the shipped
      // files go in unchanged.
      await copyFile(join(shippedConfigDir, 'sla.json'), join(dir, 'sla.json'));
      await copyFile(join(shippedConfigDir, 'templates.json'), join(dir, 'templates.json'));
      await copyFile(join(shippedConfigDir, 'ivr.json'), join(dir, 'ivr.json'));
      await copyFile(join(shippedConfigDir, 'mailboxes.json'), join(dir, 'mailboxes.json'));
      await copyFile(join(shippedConfigDir, 'kiosk.json'), join(dir, 'kiosk.json'));
    }

    it('reports a phone menu key used twice, and a menu choice that no phone routing rule matches', async function () {
      await writeAll();
      const ivr = JSON.parse(await readFile(join(shippedConfigDir, 'ivr.json'), 'utf8')) as { menu: { options: { key: string; keywords: string[] }[] } };
      const first = ivr.menu.options[0];
      if (!first) throw new Error('the shipped menu has no options');
      ivr.menu.options.push({ key: first.key, keywords: [] }, { key: '8', keywords: ['tránsito'] });
      await writeFile(join(dir, 'ivr.json'), JSON.stringify(ivr));

      const error = await expectCatalogueError(dir);
      expect(error.problems).to.deep.equal([
        { file: join(dir, 'ivr.json'), path: `menu.options[${ivr.menu.options.length - 2}].key`, message: `key "${first.key}" already used at options[0]` },
      ]);

      ivr.menu.options.splice(ivr.menu.options.length - 2, 1);
      await writeFile(join(dir, 'ivr.json'), JSON.stringify(ivr));
      const uncovered = await expectCatalogueError(dir);
      expect(uncovered.problems).to.deep.equal([
        { file: join(dir, 'ivr.json'), path: 'menu', message: 'no rule of routing.json matches the phone choice "8" (when.ivrDigits)' },
      ]);
    });

    it('refuses a recording notice that does not name Ley 29733', async function () {
      await writeAll();
      const ivr = JSON.parse(await readFile(join(shippedConfigDir, 'ivr.json'), 'utf8')) as { recording: { enabled: boolean; notice: string } };
      ivr.recording = { enabled: true, notice: 'Esta llamada será grabada.' };
      await writeFile(join(dir, 'ivr.json'), JSON.stringify(ivr));
      const error = await expectCatalogueError(dir);
      expect(error.problems).to.deep.equal([{ file: join(dir, 'ivr.json'), path: 'recording.notice', message: 'must name Ley 29733, which requires telling the caller' }]);
    });

    it('reports a mailbox address read twice, a processed folder that is the inbox, and an address no email rule routes', async function () {
      await writeAll();
      const mailboxes = JSON.parse(await readFile(join(shippedConfigDir, 'mailboxes.json'), 'utf8')) as { mailboxes: Json[] };
      const [office] = mailboxes.mailboxes;
      mailboxes.mailboxes.push(
        { id: 'segundo', address: 'reclamos@muniplibre.gob.pe', folder: 'INBOX', processedFolder: 'INBOX' },
        { id: 'tercero', address: 'sinregla@muniplibre.gob.pe', aliases: ['Mayusculas@muniplibre.gob.pe'] },
      );
      expect(office).to.include({ id: 'atencion' });
      await writeFile(join(dir, 'mailboxes.json'), JSON.stringify(mailboxes));
      // The checks across mailboxes still run when one entry has a problem of its own.
      const error = await expectCatalogueError(dir);
      expect(error.problems).to.deep.equal([
        { file: join(dir, 'mailboxes.json'), path: 'mailboxes[2].aliases[0]', message: 'e-mail address must be lowercase' },
        { file: join(dir, 'mailboxes.json'), path: 'mailboxes[1].address', message: 'address "reclamos@muniplibre.gob.pe" already read by mailboxes[0]' },
        { file: join(dir, 'mailboxes.json'), path: 'mailboxes[1].processedFolder', message: 'must differ from the folder new mail arrives in' },
      ]);

      mailboxes.mailboxes[2] = { id: 'tercero', address: 'sinregla@muniplibre.gob.pe' };
      mailboxes.mailboxes[1] = { id: 'segundo', address: 'otro@muniplibre.gob.pe', processedFolder: 'Procesados' };
      await writeFile(join(dir, 'mailboxes.json'), JSON.stringify(mailboxes));
      const last = await expectCatalogueError(dir);
      expect(last.problems).to.deep.equal([
        { file: join(dir, 'mailboxes.json'), path: 'mailboxes[1]', message: 'no rule of routing.json matches mail to "otro@muniplibre.gob.pe" (when.emailTo)' },
        { file: join(dir, 'mailboxes.json'), path: 'mailboxes[2]', message: 'no rule of routing.json matches mail to "sinregla@muniplibre.gob.pe" (when.emailTo)' },
      ]);
    });

    it('reports attachment limits where a file may be larger than its message', async function () {
      await writeAll();
      const mailboxes = JSON.parse(await readFile(join(shippedConfigDir, 'mailboxes.json'), 'utf8')) as Json;
      mailboxes.attachments = { maxFileBytes: 2_000_000, maxMessageBytes: 1_000_000 };
      mailboxes.reopenWindowDays = -1;
      await writeFile(join(dir, 'mailboxes.json'), JSON.stringify(mailboxes));
      const error = await expectCatalogueError(dir);
      expect(error.problems.map((p) => [p.path, p.message])).to.deep.equal([
        ['reopenWindowDays', 'Too small: expected number to be >=0'],
        ['attachments', 'maxFileBytes must not exceed maxMessageBytes'],
      ]);
    });

    it('loads an unchanged copy (the baseline for the cases below)', async function () {
      await writeAll();
      const catalogue = await loadCatalogue(dir);
      expect(catalogue.attentionOffice.code).to.equal('GDVAC');
    });

    it('reports a service that names an unknown unit', async function () {
      files.services.services[3]!.unit = 'XYZ';
      await writeAll();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        { file: join(dir, 'services.json'), path: 'services[3].unit', message: 'unknown unit "XYZ"' },
      ]);
      expect(error.message).to.contain(`${join(dir, 'services.json')}: services[3].unit: unknown unit "XYZ"`);
    });

    it('reports a duplicate unit code, pointing at the first one', async function () {
      files.units.units[5] = { ...files.units.units[5], code: 'GAT' };
      // The unit that used to be at index 5 had children; give them another parent so only one problem remains.
      for (const unit of files.units.units) if (unit.parent === 'GDU') unit.parent = 'GAT';
      for (const service of files.services.services) if (service.unit === 'GDU') service.unit = 'GAT';
      await writeAll();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        { file: join(dir, 'units.json'), path: 'units[5].code', message: 'duplicate unit code "GAT" (first used at units[3])' },
      ]);
    });

    it('still checks codes across units when one unit has a field-level problem', async function () {
      files.units.units[0]!.email = 'not-an-address';
      files.units.units.push({ code: 'SG', name: 'Otra Secretaría', shortName: 'Otra', kind: 'oficina', parent: 'NOPE' });
      await writeAll();

      const error = await expectCatalogueError(dir);
      const units = join(dir, 'units.json');
      const last = files.units.units.length - 1;

      expect(error.problems).to.deep.equal([
        { file: units, path: 'units[0].email', message: 'not a valid e-mail address' },
        { file: units, path: `units[${last}].code`, message: 'duplicate unit code "SG" (first used at units[1])' },
        { file: units, path: `units[${last}].parent`, message: 'unknown parent unit "NOPE"' },
      ]);
    });

    it('reports a parent cycle and a second attention office', async function () {
      files.units.units.push(
        { code: 'AAA', name: 'Unidad A', shortName: 'A', kind: 'oficina', parent: 'BBB', isAttentionOffice: true },
        { code: 'BBB', name: 'Unidad B', shortName: 'B', kind: 'oficina', parent: 'AAA' },
      );
      await writeAll();

      const error = await expectCatalogueError(dir);
      const units = join(dir, 'units.json');
      const first = files.units.units.length - 2;

      expect(error.problems).to.deep.equal([
        { file: units, path: `units[${first}].parent`, message: 'parent chain forms a cycle: AAA → BBB → AAA' },
        { file: units, path: 'units', message: 'exactly one unit must have "isAttentionOffice": true, found 2 (GDVAC, AAA)' },
      ]);
    });

    it('reports invalid JSON with the file name and the parser message', async function () {
      const broken = '{ "units": [ { "code": "GDVAC", } ] }';
      await writeAll();
      await writeFile(join(dir, 'units.json'), broken);
      let parserMessage = '';
      try {
        JSON.parse(broken);
      } catch (error) {
        parserMessage = (error as Error).message;
      }

      const error = await expectCatalogueError(dir);

      expect(parserMessage).to.not.equal('');
      expect(error.problems).to.deep.equal([
        { file: join(dir, 'units.json'), path: '', message: `invalid JSON: ${parserMessage}` },
      ]);
      expect(formatProblems(error.problems)).to.equal(`${join(dir, 'units.json')}: invalid JSON: ${parserMessage}`);
    });

    it('reports a missing file', async function () {
      await writeAll();
      await unlink(join(dir, 'calendar.json'));

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([{ file: join(dir, 'calendar.json'), path: '', message: 'file not found' }]);
    });

    it('reports a holiday date that does not exist', async function () {
      files.calendar.holidays.push({ date: '2026-02-30', name: 'Día inventado', kind: 'local' });
      await writeAll();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        {
          file: join(dir, 'calendar.json'),
          path: `holidays[${files.calendar.holidays.length - 1}].date`,
          message: 'not a real calendar date "2026-02-30" (expected YYYY-MM-DD)',
        },
      ]);
    });

    it('reports a duplicate holiday date', async function () {
      files.calendar.holidays.push({ date: '2026-12-25', name: 'Navidad otra vez', kind: 'local' });
      await writeAll();

      const error = await expectCatalogueError(dir);
      const first = files.calendar.holidays.findIndex((holiday) => holiday.date === '2026-12-25');

      expect(error.problems).to.deep.equal([
        {
          file: join(dir, 'calendar.json'),
          path: `holidays[${files.calendar.holidays.length - 1}].date`,
          message: `duplicate holiday date "2026-12-25" (first listed at holidays[${first}])`,
        },
      ]);
    });

    it('reports overlapping business hours', async function () {
      files.calendar.businessHours.tue = [
        { start: '08:00', end: '13:00' },
        { start: '12:30', end: '17:00' },
      ];
      await writeAll();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        {
          file: join(dir, 'calendar.json'),
          path: 'businessHours.tue[1]',
          message: '12:30–17:00 overlaps the previous range 08:00–13:00',
        },
      ]);
    });

    it('reports bad times, inverted ranges and a week without business days', async function () {
      files.calendar.businessHours = {
        mon: [{ start: '8:00', end: '17:00' }],
        tue: [{ start: '17:00', end: '08:00' }],
        wed: [],
        thu: [],
        fri: [],
        sat: [],
        sun: [],
      };
      await writeAll();

      const error = await expectCatalogueError(dir);
      const calendar = join(dir, 'calendar.json');

      expect(error.problems).to.deep.equal([
        { file: calendar, path: 'businessHours.mon[0].start', message: 'must be a time "HH:mm" (00:00 to 23:59), got "8:00"' },
        { file: calendar, path: 'businessHours.tue[0]', message: 'start 17:00 must be before end 08:00' },
      ]);

      files.calendar.businessHours = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
      await writeAll();

      const empty = await expectCatalogueError(dir);

      expect(empty.problems).to.deep.equal([
        { file: calendar, path: 'businessHours', message: 'at least one day of the week must have business hours' },
      ]);
    });

    it('reports problems in two different files together, in one error', async function () {
      files.units.units[1]!.email = 'Secretaria@muniplibre.gob.pe';
      files.services.services[0]!.unit = 'RENTAS';
      files.services.services[2]!.ticketType = 'pedido';
      await writeAll();

      const error = await expectCatalogueError(dir);
      const expected: CatalogueProblem[] = [
        { file: join(dir, 'units.json'), path: 'units[1].email', message: 'e-mail address must be lowercase' },
        { file: join(dir, 'services.json'), path: 'services[0].unit', message: 'unknown unit "RENTAS"' },
      ];

      expect(error.problems.slice(0, 2)).to.deep.equal(expected);
      expect(error.problems[2]).to.include({ file: join(dir, 'services.json'), path: 'services[2].ticketType' });
      expect(error.problems).to.have.length(3);
      expect(error.message).to.equal(
        [
          'configuration catalogue is invalid (3 problems):',
          `${join(dir, 'units.json')}: units[1].email: e-mail address must be lowercase`,
          `${join(dir, 'services.json')}: services[0].unit: unknown unit "RENTAS"`,
          `${join(dir, 'services.json')}: services[2].ticketType: ${error.problems[2]!.message}`,
        ].join('\n'),
      );
    });

    it('reports unknown keys, so a misspelt optional field is not silently ignored', async function () {
      files.units.units[0] = { ...files.units.units[0], isAtentionOffice: true };
      await writeAll();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        { file: join(dir, 'units.json'), path: 'units[0]', message: 'Unrecognized key: "isAtentionOffice"' },
      ]);
    });

    // The shipped routing table is copied into every broken catalogue, so the cases above stay about their own file.
    let routing: { triage: Json; queues: Json[]; rules: (Json & { id: string; when: Json; then: Json })[] };

    beforeEach(async function () {
      routing = JSON.parse(await readFile(join(shippedConfigDir, 'routing.json'), 'utf8')) as typeof routing;
      await writeFile(join(dir, 'routing.json'), JSON.stringify(routing, null, 2));
    });

    async function writeRouting(): Promise<void> {
      await writeAll();
      await writeFile(join(dir, 'routing.json'), JSON.stringify(routing, null, 2));
    }

    function ruleIndex(id: string): number {
      const index = routing.rules.findIndex((rule) => rule.id === id);
      expect(index, id).to.be.at.least(0);
      return index;
    }

    it('reports a routing rule that names an unknown unit', async function () {
      const index = ruleIndex('ivr-desarrollo-urbano');
      routing.rules[index]!.then.unit = 'OBRAS';
      await writeRouting();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        { file: join(dir, 'routing.json'), path: `rules[${index}].then.unit`, message: 'unknown unit "OBRAS"' },
      ]);
      expect(error.message).to.contain(`${join(dir, 'routing.json')}: rules[${index}].then.unit: unknown unit "OBRAS"`);
    });

    it('reports a queue the rule’s unit does not have, the unit coming from the rule’s service', async function () {
      const index = ruleIndex('ivr-rentas');
      routing.rules[index]!.then.queue = 'licencias';
      await writeRouting();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        {
          file: join(dir, 'routing.json'),
          path: `rules[${index}].then.queue`,
          message: 'unit GAT has no queue "licencias" (its queues: rentas)',
        },
      ]);
    });

    it('reports unknown services, in a rule’s outcome and in its conditions', async function () {
      const outcome = ruleIndex('kiosk-caja');
      const condition = ruleIndex('service-queja');
      routing.rules[outcome]!.then.service = 'rentas.caja';
      routing.rules[condition]!.when.serviceCode = 'atencion.quejas';
      await writeRouting();

      const error = await expectCatalogueError(dir);
      const file = join(dir, 'routing.json');

      expect(error.problems).to.deep.equal([
        { file, path: `rules[${condition}].when.serviceCode`, message: 'unknown service "atencion.quejas"' },
        { file, path: `rules[${outcome}].then.service`, message: 'unknown service "rentas.caja"' },
      ]);
    });

    it('reports a duplicate rule id, pointing at the first one', async function () {
      const first = ruleIndex('ivr-rentas');
      const second = ruleIndex('ivr-licencias');
      routing.rules[second]!.id = 'ivr-rentas';
      await writeRouting();

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        {
          file: join(dir, 'routing.json'),
          path: `rules[${second}].id`,
          message: `duplicate rule id "ivr-rentas" (first used at rules[${first}])`,
        },
      ]);
    });

    it('reports a rule without conditions and one whose conditions repeat an earlier rule', async function () {
      const empty = ruleIndex('email-licencias');
      const repeated = ruleIndex('ivr-licencias');
      routing.rules[empty]!.when = {};
      routing.rules[repeated]!.when = { ivrDigits: '1', channel: ['phone'] };
      await writeRouting();

      const error = await expectCatalogueError(dir);
      const file = join(dir, 'routing.json');

      expect(error.problems).to.deep.equal([
        {
          file,
          path: `rules[${empty}].when`,
          message: 'needs at least one condition; a rule without conditions would match every contact',
        },
        {
          file,
          path: `rules[${repeated}].when`,
          message: `same conditions as rules[${ruleIndex('ivr-rentas')}], which comes first, so this rule never matches`,
        },
      ]);
    });

    it('reports a queue declared twice for a unit, and a unit that services need but that has no queue', async function () {
      const general = routing.queues.findIndex((queue) => queue.unit === 'GDVAC' && queue.code === 'general');
      routing.queues.push({ unit: 'GDVAC', code: 'general', name: 'Otra vez' });
      routing.queues = routing.queues.filter((queue) => queue.unit !== 'CIAM');
      await writeRouting();

      const error = await expectCatalogueError(dir);
      const file = join(dir, 'routing.json');

      expect(error.problems).to.deep.equal([
        {
          file,
          path: `queues[${routing.queues.length - 1}].code`,
          message: `duplicate queue "general" for unit GDVAC (first declared at queues[${general}])`,
        },
        { file, path: 'queues', message: 'unit CIAM has no queue, but services route to it: ciam.talleres' },
      ]);
    });

    it('reports kiosk services and counters that would hand out or call turns wrongly', async function () {
      await writeAll();
      const shipped = JSON.parse(await readFile(join(shippedConfigDir, 'kiosk.json'), 'utf8')) as {
        services: (Json & { code: string; prefix: string; routingHint: string })[];
        counters: (Json & { code: string; name: string; services: string[] })[];
      };
      const [caja, rentas] = shipped.services;
      if (!caja || !rentas) throw new Error('the shipped kiosk has fewer than two services');
      const file = join(dir, 'kiosk.json');
      const n = shipped.services.length;
      const m = shipped.counters.length;
      const write = (services: Json[], counters: Json[]) => writeFile(file, JSON.stringify({ ...shipped, services: [...shipped.services, ...services], counters: [...shipped.counters, ...counters] }));

      await write([{ ...caja, code: 'caja_bis', prefix: 'c', lastTurnAt: '25:00' }], [{ code: 'v9', name: 'Ventanilla 9', services: ['caja_bis'] }]);
      expect((await expectCatalogueError(dir)).problems).to.deep.equal([
        { file, path: `services[${n}].prefix`, message: 'must be 1 to 3 capital letters, e.g. "R" or "RC"' },
        { file, path: `services[${n}].lastTurnAt`, message: 'must be a time "HH:mm" (00:00 to 23:59), got "25:00"' },
        { file, path: `counters[${m}].code`, message: 'must be capital letters, digits or "-", e.g. "V3"' },
      ]);

      await write([{ ...rentas, code: 'rentas_bis', prefix: 'RB' }, { ...caja, prefix: 'R' }], [{ code: 'V9', name: 'ventanilla 1', services: ['caja', 'nada'] }]);
      expect((await expectCatalogueError(dir)).problems).to.deep.equal([
        { file, path: `services[${n + 1}].code`, message: 'duplicate service "caja" (first used at services[0])' },
        { file, path: `services[${n + 1}].prefix`, message: 'prefix "R" already used at services[1]' },
        { file, path: `counters[${m}].name`, message: 'name "ventanilla 1" already used at counters[0]' },
        { file, path: `counters[${m}].services[1]`, message: 'unknown kiosk service "nada"' },
        { file, path: `services[${n}].code`, message: 'no counter serves "rentas_bis": its turns would never be called' },
      ]);

      await write([{ ...rentas, code: 'rentas_bis', prefix: 'RB', routingHint: 'no_rule' }], [{ code: 'V9', name: 'Ventanilla 9', services: ['rentas_bis'] }]);
      expect((await expectCatalogueError(dir)).problems).to.deep.equal([
        { file, path: `services[${n}].routingHint`, message: 'no rule of routing.json matches the kiosk service "no_rule" (when.kioskService)' },
      ]);
    });

    it('reports a missing routing.json together with problems in the other files', async function () {
      files.services.services[0]!.unit = 'RENTAS';
      await writeAll();
      await unlink(join(dir, 'routing.json'));

      const error = await expectCatalogueError(dir);

      expect(error.problems).to.deep.equal([
        { file: join(dir, 'services.json'), path: 'services[0].unit', message: 'unknown unit "RENTAS"' },
        { file: join(dir, 'routing.json'), path: '', message: 'file not found' },
      ]);
    });
  });
});
