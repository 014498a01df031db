import { expect } from 'chai';
import {
  normalizeForMatching,
  routeContact,
  SERVICE_ROUTE_ID,
  TRIAGE_ROUTE_ID,
  type RoutedService,
  type RoutingCatalogue,
  type RoutingConfig,
  type RoutingHint,
  type RoutingInput,
} from '../../src/domain/routing.js';
import type { Channel } from '../../src/domain/ticket-types.js';
import type { RoutingHint as StoredRoutingHint } from '../../src/store/ticket.model.js';

// A hint read back from a stored ticket must be accepted as is (type-only import: no mongoose at runtime).
const storedHintIsAccepted = (hint: StoredRoutingHint): RoutingHint => hint;

const services: Record<string, RoutedService> = {
  'rentas.estado_cuenta': { unit: 'GAT', ticketType: 'consulta' },
  'rentas.pago_tributos': { unit: 'SGRCT', ticketType: 'tramite' },
  'limpieza.recojo_maleza_desmonte': { unit: 'SGLP', ticketType: 'tramite' },
  'fiscalizacion.ruidos_molestos': { unit: 'SGF', ticketType: 'denuncia' },
  'transparencia.acceso_informacion': { unit: 'SG', ticketType: 'acceso_informacion' },
  'atencion.libro_reclamaciones': { unit: 'GDVAC', ticketType: 'reclamo' },
  'atencion.queja': { unit: 'GDVAC', ticketType: 'queja' },
  'serenazgo.patrullaje': { unit: 'GSC', ticketType: 'denuncia' },
  'vpp.tarjeta': { unit: 'GDVAC', ticketType: 'consulta' },
};

const routing: RoutingConfig = {
  triage: { unit: 'GDVAC', queue: 'triage', skills: ['triaje'] },
  queues: [
    { unit: 'GDVAC', code: 'general', name: 'Atención general' },
    { unit: 'GDVAC', code: 'triage', name: 'Triaje' },
    { unit: 'GDVAC', code: 'reclamaciones', name: 'Libro de Reclamaciones' },
    { unit: 'GAT', code: 'rentas', name: 'Rentas' },
    { unit: 'SGRCT', code: 'recaudacion', name: 'Recaudación' },
    { unit: 'SGRCT', code: 'coactiva', name: 'Cobranza coactiva' },
    { unit: 'SGLP', code: 'limpieza', name: 'Limpieza pública' },
    { unit: 'SGF', code: 'fiscalizacion', name: 'Fiscalización' },
    { unit: 'SG', code: 'transparencia', name: 'Transparencia' },
    { unit: 'GSC', code: 'serenazgo', name: 'Serenazgo' },
    { unit: 'GDU', code: 'desarrollo_urbano', name: 'Desarrollo Urbano' },
  ],
  rules: [
    {
      id: 'service-reclamo',
      when: { serviceCode: 'atencion.libro_reclamaciones' },
      then: { queue: 'reclamaciones', skills: ['reclamaciones'] },
    },
    {
      id: 'service-serenazgo-by-phone',
      when: { channel: 'phone', serviceCode: 'serenazgo.patrullaje' },
      then: { queue: 'serenazgo', skills: ['serenazgo', 'radio'] },
    },
    {
      id: 'ivr-rentas',
      when: { channel: 'phone', ivrDigits: '1' },
      then: { service: 'rentas.estado_cuenta', queue: 'rentas', skills: ['rentas'] },
    },
    {
      id: 'ivr-obras',
      when: { channel: 'phone', ivrDigits: '3' },
      then: { unit: 'GDU', queue: 'desarrollo_urbano', skills: ['obras'], ticketType: 'consulta' },
    },
    {
      id: 'ivr-operador',
      when: { channel: 'phone', ivrDigits: '0' },
      then: { unit: 'GDVAC', queue: 'general', skills: [] },
    },
    {
      id: 'kiosk-caja',
      when: { kioskService: 'caja' },
      then: { service: 'rentas.pago_tributos', queue: 'recaudacion', skills: ['caja'] },
    },
    {
      id: 'email-reclamos',
      when: { emailTo: 'reclamos@muniplibre.gob.pe' },
      then: { service: 'atencion.libro_reclamaciones', queue: 'reclamaciones', skills: ['reclamaciones'] },
    },
    {
      // An embargo written to the Rentas mailbox belongs to cobranza coactiva, a different unit and queue.
      id: 'email-rentas-coactiva',
      when: { emailTo: 'rentas@muniplibre.gob.pe', keywords: ['coactiva', 'embargo'] },
      then: { service: 'rentas.estado_cuenta', unit: 'SGRCT', queue: 'coactiva', skills: [], ticketType: 'tramite' },
    },
    {
      id: 'email-rentas',
      when: { emailTo: 'rentas@muniplibre.gob.pe' },
      then: { service: 'rentas.estado_cuenta', queue: 'rentas', skills: ['rentas'] },
    },
    {
      id: 'keywords-desmonte',
      when: { channel: ['email', 'manual'], keywords: ['desmonte', 'maleza'] },
      then: { service: 'limpieza.recojo_maleza_desmonte', queue: 'limpieza', skills: [] },
    },
    {
      id: 'keywords-ruido',
      when: { channel: ['email', 'manual'], keywords: ['ruido', 'ruidos molestos', 'música alta'] },
      then: { service: 'fiscalizacion.ruidos_molestos', queue: 'fiscalizacion', skills: [] },
    },
    {
      id: 'keywords-transparencia',
      when: { channel: ['email', 'manual'], keywords: ['acceso a la información', 'señal de transparencia'] },
      then: { service: 'transparencia.acceso_informacion', queue: 'transparencia', skills: [] },
    },
  ],
};

const catalogue: RoutingCatalogue = {
  routing,
  serviceByCode: (code) => services[code],
};

function route(channel: Channel, hint: RoutingHint): ReturnType<typeof routeContact> {
  const input: RoutingInput = { channel, hint };
  return routeContact(input, catalogue);
}

const triage = { unitCode: 'GDVAC', queue: 'triage', requiredSkills: ['triaje'], ruleId: TRIAGE_ROUTE_ID };

describe('routing rules', () => {
  describe('IVR digits', () => {
    it('route a call by the digit chosen, taking unit and ticket type from the rule’s service', () => {
      expect(route('phone', { ivrDigits: '1' })).to.deep.equal({
        unitCode: 'GAT',
        queue: 'rentas',
        requiredSkills: ['rentas'],
        serviceCode: 'rentas.estado_cuenta',
        ticketType: 'consulta',
        ruleId: 'ivr-rentas',
      });
    });

    it('use the rule’s own unit and ticket type when it names no service', () => {
      expect(route('phone', { ivrDigits: '3' })).to.deep.equal({
        unitCode: 'GDU',
        queue: 'desarrollo_urbano',
        requiredSkills: ['obras'],
        ticketType: 'consulta',
        ruleId: 'ivr-obras',
      });
      // Neither a service nor the rule says what kind of case it is: the decision leaves it open.
      expect(route('phone', { ivrDigits: '0' })).to.deep.equal({
        unitCode: 'GDVAC',
        queue: 'general',
        requiredSkills: [],
        ruleId: 'ivr-operador',
      });
    });

    it('match exactly (surrounding blanks aside): a sub-menu choice is not its parent', () => {
      expect(route('phone', { ivrDigits: ' 1 ' }).ruleId).to.equal('ivr-rentas');
      expect(route('phone', { ivrDigits: '1.2' })).to.deep.equal(triage);
      expect(route('phone', { ivrDigits: '11' })).to.deep.equal(triage);
      expect(route('phone', { ivrDigits: '7' })).to.deep.equal(triage);
    });

    it('apply only on the channel the rule names', () => {
      expect(route('manual', { ivrDigits: '1' })).to.deep.equal(triage);
    });
  });

  describe('kiosk service', () => {
    it('routes a counter turn by the kiosk service picked, on any channel when the rule names none', () => {
      expect(route('kiosk', { kioskService: 'caja' })).to.include({
        unitCode: 'SGRCT',
        queue: 'recaudacion',
        serviceCode: 'rentas.pago_tributos',
        ticketType: 'tramite',
        ruleId: 'kiosk-caja',
      });
      expect(route('manual', { kioskService: 'caja' }).ruleId).to.equal('kiosk-caja');
      expect(route('kiosk', { kioskService: 'cajas' })).to.deep.equal(triage);
    });
  });

  describe('e-mail address', () => {
    it('routes by the mailbox written to, ignoring case and blanks', () => {
      expect(route('email', { emailTo: 'reclamos@muniplibre.gob.pe' })).to.deep.equal({
        unitCode: 'GDVAC',
        queue: 'reclamaciones',
        requiredSkills: ['reclamaciones'],
        serviceCode: 'atencion.libro_reclamaciones',
        ticketType: 'reclamo',
        ruleId: 'email-reclamos',
      });
      expect(route('email', { emailTo: ' Reclamos@MuniPLibre.gob.pe ' }).ruleId).to.equal('email-reclamos');
      expect(route('email', { emailTo: 'reclamo@muniplibre.gob.pe' })).to.deep.equal(triage);
    });

    it('requires every condition of a rule, and lets the rule override the service’s unit and type', () => {
      expect(route('email', { emailTo: 'rentas@muniplibre.gob.pe', text: 'Me llegó un EMBARGO' })).to.deep.equal({
        unitCode: 'SGRCT',
        queue: 'coactiva',
        requiredSkills: [],
        serviceCode: 'rentas.estado_cuenta',
        ticketType: 'tramite',
        ruleId: 'email-rentas-coactiva',
      });
      // The keyword alone, to another mailbox, does not satisfy the rule.
      expect(route('email', { emailTo: 'reclamos@muniplibre.gob.pe', text: 'embargo' }).ruleId).to.equal('email-reclamos');
      expect(route('email', { text: 'embargo' })).to.deep.equal(triage);
      // The mailbox alone falls to the next rule.
      expect(route('email', { emailTo: 'rentas@muniplibre.gob.pe', text: 'mi deuda' }).ruleId).to.equal('email-rentas');
    });
  });

  describe('keywords', () => {
    it('match whatever the case and accents, on both sides', () => {
      for (const text of ['Desmonte en la esquina', 'DESMONTE', 'desmonté', 'hay desmonte', 'Maleza y DESMONTE']) {
        expect(route('email', { text }).ruleId, text).to.equal('keywords-desmonte');
      }
      expect(route('email', { text: 'Solicito ACCESO A LA INFORMACION publica' }).ruleId).to.equal(
        'keywords-transparencia',
      );
      expect(route('email', { text: 'musica alta toda la noche' }).ruleId).to.equal('keywords-ruido');
    });

    it('fold ñ to n, since citizens without a Spanish keyboard write it that way', () => {
      expect(route('email', { text: 'la senal de transparencia' }).ruleId).to.equal('keywords-transparencia');
    });

    it('match whole words and phrases only, across punctuation and line breaks', () => {
      expect(route('email', { text: '¡Desmonte!' }).ruleId).to.equal('keywords-desmonte');
      expect(route('email', { text: 'Asunto: ruido\r\n\r\nBuenas tardes' }).ruleId).to.equal('keywords-ruido');
      expect(route('email', { text: 'ruidos   \n molestos' }).ruleId).to.equal('keywords-ruido');
      expect(route('email', { text: 'acceso a la\ninformación' }).ruleId).to.equal('keywords-transparencia');
      // Documented choice: a longer word that merely starts with a keyword is a different word.
      expect(route('email', { text: 'un vecino muy ruidoso' })).to.deep.equal(triage);
      expect(route('email', { text: 'desmontes' })).to.deep.equal(triage);
      expect(route('email', { text: 'el acceso a toda la información' })).to.deep.equal(triage);
    });

    it('need text: a contact without any never matches a keyword rule', () => {
      expect(route('email', {})).to.deep.equal(triage);
      expect(route('email', { text: '' })).to.deep.equal(triage);
    });

    it('apply only on the channels listed by the rule', () => {
      expect(route('manual', { text: 'desmonte' }).ruleId).to.equal('keywords-desmonte');
      expect(route('phone', { text: 'desmonte' })).to.deep.equal(triage);
      expect(route('kiosk', { text: 'desmonte' })).to.deep.equal(triage);
    });

    it('go by file order when several rules match: the first wins', () => {
      expect(route('email', { text: 'ruido y desmonte' }).ruleId).to.equal('keywords-desmonte');
      expect(route('email', { text: 'desmonte y ruido' }).ruleId).to.equal('keywords-desmonte');
    });
  });

  describe('explicit service code', () => {
    it('wins over every other hint, with the unit’s first queue and the service’s ticket type', () => {
      expect(route('phone', { serviceCode: 'rentas.pago_tributos', ivrDigits: '1', text: 'desmonte' })).to.deep.equal({
        unitCode: 'SGRCT',
        queue: 'recaudacion',
        requiredSkills: [],
        serviceCode: 'rentas.pago_tributos',
        ticketType: 'tramite',
        ruleId: SERVICE_ROUTE_ID,
      });
    });

    it('takes queue and skills from a rule conditioned on that service code', () => {
      expect(route('manual', { serviceCode: 'atencion.libro_reclamaciones' })).to.deep.equal({
        unitCode: 'GDVAC',
        queue: 'reclamaciones',
        requiredSkills: ['reclamaciones'],
        serviceCode: 'atencion.libro_reclamaciones',
        ticketType: 'reclamo',
        ruleId: 'service-reclamo',
      });
    });

    it('uses such a rule only when its other conditions hold too', () => {
      expect(route('phone', { serviceCode: 'serenazgo.patrullaje' })).to.include({
        queue: 'serenazgo',
        ruleId: 'service-serenazgo-by-phone',
      });
      expect(route('email', { serviceCode: 'serenazgo.patrullaje', text: 'desmonte' })).to.deep.equal({
        unitCode: 'GSC',
        queue: 'serenazgo',
        requiredSkills: [],
        serviceCode: 'serenazgo.patrullaje',
        ticketType: 'denuncia',
        ruleId: SERVICE_ROUTE_ID,
      });
    });

    it('falls through to the rules when the code is unknown', () => {
      expect(route('phone', { serviceCode: 'rentas.no_existe', ivrDigits: '1' }).ruleId).to.equal('ivr-rentas');
      expect(route('email', { serviceCode: 'RENTAS.ESTADO_CUENTA', text: 'desmonte' }).ruleId).to.equal(
        'keywords-desmonte',
      );
      expect(route('manual', { serviceCode: '' })).to.deep.equal(triage);
    });

    it('falls through when the service’s unit has no queue (the loader rejects that; a hand-built table may not)', () => {
      const orphan: RoutingCatalogue = {
        routing,
        serviceByCode: (code) => (code === 'demuna.orientacion' ? { unit: 'DEMUNA', ticketType: 'consulta' } : undefined),
      };
      const decision = routeContact({ channel: 'email', hint: { serviceCode: 'demuna.orientacion' } }, orphan);
      expect(decision).to.deep.equal(triage);
    });
  });

  describe('triage', () => {
    it('takes whatever no rule claims, and hands out a copy of its skills', () => {
      const first = route('kiosk', {});
      expect(first).to.deep.equal(triage);
      first.requiredSkills.push('changed');
      expect(routing.triage.skills).to.deep.equal(['triaje']);
      expect(route('kiosk', {}).requiredSkills).to.deep.equal(['triaje']);
    });

    it('accepts a hint read back from a stored ticket', () => {
      const stored: StoredRoutingHint = { emailTo: 'reclamos@muniplibre.gob.pe' };
      expect(route('email', storedHintIsAccepted(stored)).ruleId).to.equal('email-reclamos');
    });
  });

  describe('normalizeForMatching', () => {
    it('lowercases, strips accents and turns everything but letters and digits into single spaces', () => {
      expect(normalizeForMatching('¡Hay DESMONTE en la Av. Bolívar!')).to.equal('hay desmonte en la av bolivar');
      expect(normalizeForMatching('  Ley N.º 27806:\tacceso  ')).to.equal('ley n o 27806 acceso');
      expect(normalizeForMatching('Señalización, pingüino')).to.equal('senalizacion pinguino');
      expect(normalizeForMatching('ｄｅｓｍｏｎｔｅ')).to.equal('desmonte');
      expect(normalizeForMatching('¿?')).to.equal('');
    });
  });
});
