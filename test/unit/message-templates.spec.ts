import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogueError, loadCatalogue } from '../../src/config/catalogue.js';
import { templatesFileSchema } from '../../src/config/catalogue.schema.js';
import {
  MESSAGE_TEMPLATES,
  parsePlaceholders,
  renderMessage,
  TEMPLATE_IDS,
  TemplateError,
  templateProblems,
  type MessageTemplates,
  type TemplateValues,
} from '../../src/domain/message-templates.js';

const configDir = fileURLToPath(new URL('../../config/', import.meta.url));

type TemplatesJson = { locale: string; templates: Record<string, Record<string, string>> };

async function shippedTemplates(): Promise<TemplatesJson> {
  return JSON.parse(await readFile(join(configDir, 'templates.json'), 'utf8')) as TemplatesJson;
}

function problems(input: unknown): string[] {
  const result = templatesFileSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('/')}: ${issue.message}`);
}

describe('message templates (es-PE)', () => {
  describe('placeholders', () => {
    it('finds the named placeholders of a text, each once, in order of first use', () => {
      expect(parsePlaceholders('El caso {trackingCode} vence el {dueAt}; repito: {trackingCode}.')).to.deep.equal({
        ok: true,
        names: ['trackingCode', 'dueAt'],
      });
      expect(parsePlaceholders('Sin marcadores.')).to.deep.equal({ ok: true, names: [] });
    });

    it('refuses braces that do not form a placeholder, since there is no escape syntax', () => {
      expect(parsePlaceholders('Hola {nombre')).to.deep.equal({ ok: false, problem: '"{" at position 5 is not closed' });
      expect(parsePlaceholders('Hola {a{b}')).to.deep.equal({ ok: false, problem: '"{" at position 5 is not closed' });
      expect(parsePlaceholders('Hola } {a}')).to.deep.equal({ ok: false, problem: '"}" at position 5 closes no placeholder' });
      expect(parsePlaceholders('Caso { trackingCode }')).to.deep.include({ ok: false });
      expect(parsePlaceholders('Caso {TrackingCode}')).to.deep.include({ ok: false });
      expect(parsePlaceholders('Caso {}')).to.deep.include({ ok: false });
    });
  });

  describe('rendering', () => {
    const templates: MessageTemplates = {
      'notification.report_back': { body: '{unitName} resolvió el caso {trackingCode}: {summary}' },
      'notification.sla_at_risk': { body: 'El caso {trackingCode} vence el {dueAt} ({unitName})' },
      'notification.sla_breached': { body: 'El caso {trackingCode} venció' },
    };

    it('fills every placeholder with its value, inserting values as they are', () => {
      const rendered = renderMessage(templates, 'notification.report_back', {
        unitName: 'Subgerencia de Limpieza Pública',
        trackingCode: 'PL-2026-000001',
        summary: 'Se recogió el desmonte {trackingCode}',
      });
      expect(rendered).to.deep.equal({ body: 'Subgerencia de Limpieza Pública resolvió el caso PL-2026-000001: Se recogió el desmonte {trackingCode}' });
    });

    it('may leave out placeholders it does not require', () => {
      expect(renderMessage(templates, 'notification.sla_breached', { trackingCode: 'PL-1', dueAt: '01/01/2026 17:00' })).to.deep.equal({ body: 'El caso PL-1 venció' });
    });

    it('refuses a placeholder its id does not offer, and a template that is not configured', () => {
      expect(() => renderMessage(templates, 'notification.sla_at_risk', { trackingCode: 'PL-1', dueAt: 'x' })).to.throw(TemplateError, /unknown placeholder \{unitName\}/);
      expect(() => renderMessage(templates, 'notification.first_response_breached', { trackingCode: 'PL-1', dueAt: 'x' })).to.throw(
        TemplateError,
        'template "notification.first_response_breached" is not configured',
      );
    });

    it('refuses to render with a value missing', () => {
      // Only a caller outside the type checker can leave one out, e.g. plain JavaScript.
      const values = { trackingCode: 'PL-1' } as unknown as TemplateValues<'notification.sla_breached'>;
      const both: MessageTemplates = { 'notification.sla_breached': { body: '{trackingCode} {dueAt}' } };
      expect(() => renderMessage(both, 'notification.sla_breached', values)).to.throw(TemplateError, 'uses {dueAt}, which it is not given');
    });
  });

  describe('checks against what the code declares', () => {
    it('demands the placeholders a template requires and a subject exactly where the message has one', () => {
      expect(templateProblems('sla.extension_notice', { subject: 'Prórroga {trackingCode}', body: 'Hasta el {dueDate}.' })).to.deep.equal([
        { message: 'must use {reason}' },
      ]);
      expect(templateProblems('sla.extension_notice', { body: '{trackingCode} {dueDate} {reason}' })).to.deep.equal([
        { message: 'needs a "subject": this message has a subject line' },
      ]);
      expect(templateProblems('notification.sla_breached', { subject: 'Aviso', body: '{trackingCode}' })).to.deep.equal([
        { field: 'subject', message: 'this message has no subject line' },
      ]);
    });

    it('refuses an SMS that the longest values would make longer than one segment', () => {
      const short = { body: 'Su caso {trackingCode} fue derivado a {unitName}.' };
      expect(templateProblems('sms.referred', short)).to.deep.equal([]);
      const long = { body: `${'Municipalidad de Pueblo Libre: '.repeat(3)}su caso {trackingCode} fue derivado a {unitName}.` };
      expect(templateProblems('sms.referred', long)).to.deep.equal([
        { field: 'body', message: 'is 165 characters as an SMS with the longest values (GSM-7), 2 segments; keep it to one (160 characters)' },
      ]);
      // Accents GSM-7 lacks are dropped when sent, so they do not make a Spanish text UCS-2.
      expect(templateProblems('sms.resolved', { body: 'Su caso {trackingCode} está resuelto. Si no está conforme, llámenos citando el código.' })).to.deep.equal([]);
      expect(templateProblems('sms.resolved', { body: 'Su caso {trackingCode} fue resuelto 🙂 Gracias por llamar a la Municipalidad de Pueblo Libre.' })[0]?.message).to.contain('(UCS-2), 2 segments');
    });

    it('declares every required placeholder among those offered', () => {
      for (const id of TEMPLATE_IDS) {
        const spec = MESSAGE_TEMPLATES[id];
        expect(spec.placeholders, id).to.include.members([...spec.required]);
      }
    });
  });

  describe('config/templates.json', () => {
    it('ships every template the code renders, each valid, in es-PE', async () => {
      const file = await shippedTemplates();
      expect(problems(file)).to.deep.equal([]);
      expect(Object.keys(file.templates).sort()).to.deep.equal([...TEMPLATE_IDS].sort());
      const { templates } = await loadCatalogue(configDir);
      expect(Object.isFrozen(templates['sla.extension_notice'])).to.equal(true);
      expect(renderMessage(templates, 'notification.sla_at_risk', { trackingCode: 'PL-2026-000007', dueAt: '15/12/2026 17:00' }).body).to.equal(
        'El caso PL-2026-000007 está por vencer su plazo (vence el 15/12/2026 17:00)',
      );
      expect(renderMessage(templates, 'sms.referred', { trackingCode: 'PL-2026-000007', unitName: 'Limpieza Pública', officePhone: '(01) 463-0000' }).body).to.equal(
        'Municipalidad de Pueblo Libre: su caso PL-2026-000007 fue derivado a Limpieza Pública, que continuará su atención.',
      );
    });

    it('reports unknown and missing templates, bad placeholders and braces, all at once', async () => {
      const file = await shippedTemplates();
      const { 'notification.report_back': _removed, ...rest } = file.templates;
      const broken = {
        ...file,
        templates: {
          ...rest,
          'notification.sla_at_risk': { body: 'El caso {trackingCode} vence el {fecha}' },
          'notification.sla_breached': { body: 'El caso {trackingCode venció' },
          'notification.first_response_breached': { body: '' },
          'ivr.bienvenida': { body: 'Bienvenido' },
        },
      };
      expect(problems(broken)).to.deep.equal([
        'templates/notification.first_response_breached/body: must not be empty',
        'templates/notification.sla_at_risk/body: unknown placeholder {fecha}; "notification.sla_at_risk" offers {trackingCode}, {dueAt}',
        'templates/notification.sla_breached/body: "{" at position 8 is not closed',
        `templates/ivr.bienvenida: unknown template "ivr.bienvenida" (known: ${TEMPLATE_IDS.join(', ')})`,
        'templates: missing "notification.report_back"',
      ]);
      expect(problems({ ...file, locale: 'es-ES' })).to.have.length(1);
    });

    it('stops the boot with the file, the path inside it and what is wrong', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'templates-'));
      try {
        await cp(configDir, dir, { recursive: true });
        const file = await shippedTemplates();
        file.templates['sla.extension_notice'] = { subject: 'Prórroga {trackingCode}', body: 'Su solicitud {trackingCode} se prorroga hasta el {dueDate}.' };
        await writeFile(join(dir, 'templates.json'), JSON.stringify(file));
        const error = await loadCatalogue(dir).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).to.be.instanceOf(CatalogueError);
        expect((error as CatalogueError).problems).to.deep.equal([
          { file: join(dir, 'templates.json'), path: 'templates["sla.extension_notice"]', message: 'must use {reason}' },
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
