import { expect } from 'chai';
import {
  STATUS_LABELS_ES,
  TICKET_ACTIONS,
  TICKET_STATUSES,
  allowedActions,
  isOpenStatus,
  isSlaPaused,
  nextStatus,
} from '../../src/domain/ticket-lifecycle.js';
import type { TicketAction, TicketStatus } from '../../src/domain/ticket-lifecycle.js';

// Written out independently of the implementation's table, one line per legal transition.
const LEGAL: readonly (readonly [TicketStatus, TicketAction, TicketStatus])[] = [
  ['nuevo', 'enqueue', 'en_cola'],
  ['nuevo', 'cancel', 'anulado'],
  ['en_cola', 'assign', 'asignado'],
  ['en_cola', 'refer', 'derivado'],
  ['en_cola', 'cancel', 'anulado'],
  ['asignado', 'start', 'en_atencion'],
  ['asignado', 'refer', 'derivado'],
  ['asignado', 'unassign', 'en_cola'],
  ['asignado', 'cancel', 'anulado'],
  ['en_atencion', 'wait_citizen', 'esperando_vecino'],
  ['en_atencion', 'refer', 'derivado'],
  ['en_atencion', 'unassign', 'en_cola'],
  ['en_atencion', 'resolve', 'resuelto'],
  ['en_atencion', 'cancel', 'anulado'],
  ['esperando_vecino', 'citizen_replied', 'en_atencion'],
  ['esperando_vecino', 'cancel', 'anulado'],
  ['derivado', 'assign', 'asignado'],
  ['derivado', 'resolve', 'resuelto'],
  ['derivado', 'cancel', 'anulado'],
  ['resuelto', 'close', 'cerrado'],
  ['resuelto', 'reopen', 'en_cola'],
  ['resuelto', 'cancel', 'anulado'],
  ['cerrado', 'reopen', 'en_cola'],
];

describe('ticket lifecycle', () => {
  describe('legal transitions', () => {
    for (const [from, action, to] of LEGAL) {
      it(`${from} --${action}--> ${to}`, () => {
        expect(nextStatus(from, action)).to.deep.equal({ ok: true, to });
      });
    }
  });

  describe('illegal transitions', () => {
    const samples: readonly (readonly [TicketStatus, TicketAction])[] = [
      ['nuevo', 'assign'],
      ['nuevo', 'resolve'],
      ['en_cola', 'start'],
      ['en_cola', 'resolve'],
      ['asignado', 'resolve'],
      ['esperando_vecino', 'resolve'],
      ['esperando_vecino', 'refer'],
      ['derivado', 'start'],
      ['resuelto', 'resolve'],
      ['cerrado', 'cancel'],
      ['cerrado', 'close'],
      ['anulado', 'reopen'],
      ['anulado', 'cancel'],
    ];
    for (const [from, action] of samples) {
      it(`refuses ${action} from ${from}`, () => {
        expect(nextStatus(from, action)).to.deep.equal({ ok: false, reason: 'illegal_transition' });
      });
    }

    it('refuses every pair not listed as legal', () => {
      const legal = new Set(LEGAL.map(([from, action]) => `${from}/${action}`));
      let refused = 0;
      for (const from of TICKET_STATUSES) {
        for (const action of TICKET_ACTIONS) {
          if (legal.has(`${from}/${action}`)) continue;
          expect(nextStatus(from, action), `${from}/${action}`).to.deep.equal({
            ok: false,
            reason: 'illegal_transition',
          });
          refused++;
        }
      }
      expect(refused).to.equal(9 * 11 - 23);
    });
  });

  describe('allowedActions', () => {
    it('lists actions in the canonical order', () => {
      expect(allowedActions('en_atencion')).to.deep.equal(['wait_citizen', 'refer', 'unassign', 'resolve', 'cancel']);
      expect(allowedActions('derivado')).to.deep.equal(['assign', 'resolve', 'cancel']);
      expect(allowedActions('cerrado')).to.deep.equal(['reopen']);
    });

    it('has nothing for an annulled ticket', () => {
      expect(allowedActions('anulado')).to.deep.equal([]);
    });
  });

  describe('status predicates', () => {
    it('treats resuelto, cerrado and anulado as not open', () => {
      const open = TICKET_STATUSES.filter((s) => isOpenStatus(s));
      expect(open).to.deep.equal(['nuevo', 'en_cola', 'asignado', 'en_atencion', 'esperando_vecino', 'derivado']);
    });

    it('pauses the SLA only while waiting for the citizen', () => {
      expect(TICKET_STATUSES.filter((s) => isSlaPaused(s))).to.deep.equal(['esperando_vecino']);
    });
  });

  describe('labels', () => {
    it('has a distinct Spanish label for every status', () => {
      const labels = TICKET_STATUSES.map((s) => STATUS_LABELS_ES[s]);
      expect(new Set(labels).size).to.equal(TICKET_STATUSES.length);
      expect(STATUS_LABELS_ES.en_atencion).to.equal('En atención');
      expect(STATUS_LABELS_ES.esperando_vecino).to.equal('Esperando respuesta del vecino');
    });
  });
});
