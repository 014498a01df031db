import { expect } from 'chai';
import { estimateTurnWait, formatTurnNumber, hallQueueOf, localMinutesOfDay, printedLocalTime, publicTurnState, publicTurnStateText, recallRule, serviceOpenness, turnAnnouncement, turnPrintout } from '../../src/domain/counter-turns.js';

const LIMA = -300;
const at = (local: string): Date => new Date(`${local}:00-05:00`);

describe('counter turns (pure)', () => {
  it('numbers turns as prefix, hyphen and three digits, growing past 999', () => {
    expect(formatTurnNumber('R', 1)).to.equal('R-001');
    expect(formatTurnNumber('RC', 42)).to.equal('RC-042');
    expect(formatTurnNumber('L', 1234)).to.equal('L-1234');
    expect(() => formatTurnNumber('r', 1)).to.throw(RangeError);
    expect(() => formatTurnNumber('ABCD', 1)).to.throw(RangeError);
    expect(() => formatTurnNumber('R', 0)).to.throw(RangeError);
    expect(() => formatTurnNumber('R', 1.5)).to.throw(RangeError);
  });

  it('announces a turn as the board reads it out', () => {
    expect(turnAnnouncement('R-042', 'Ventanilla 3')).to.equal('Turno R-042, ventanilla 3');
    expect(turnAnnouncement('VP-007', 'Módulo Vecino Puntual')).to.equal('Turno VP-007, módulo Vecino Puntual');
  });

  it('estimates the wait from the turns ahead, the open counters and the median of recent attentions', () => {
    expect(estimateTurnWait({ ahead: 4, openCounters: 0, recentServiceSeconds: [], typicalServiceMinutes: 5 })).to.include({ minutes: null, basis: 'no_counter' });
    // Too few attentions today: the catalogue's figure.
    expect(estimateTurnWait({ ahead: 4, openCounters: 2, recentServiceSeconds: [60, 60], typicalServiceMinutes: 5 })).to.include({ minutes: 10, basis: 'typical' });
    // The median, so one long case does not inflate everyone's wait: 4 ahead × 3 min / 2 counters.
    const recent = estimateTurnWait({ ahead: 4, openCounters: 2, recentServiceSeconds: [180, 170, 3_600, 190, 180], typicalServiceMinutes: 5 });
    expect(recent).to.include({ minutes: 6, basis: 'recent' });
    expect(recent.text).to.equal('Espera estimada: 6 minutos aproximadamente.');
    expect(estimateTurnWait({ ahead: 0, openCounters: 1, recentServiceSeconds: [], typicalServiceMinutes: 5 })).to.include({ minutes: 0, text: 'Será llamado en breve.' });
    expect(estimateTurnWait({ ahead: 1, openCounters: 3, recentServiceSeconds: [], typicalServiceMinutes: 2 }).text).to.equal('Espera estimada: 1 minuto aproximadamente.');
  });

  it('gives turns while the office is open and, for a service with a last turn, until then', () => {
    const caja = { name: 'Caja', lastTurnAt: '16:30' };
    expect(serviceOpenness(true, caja, at('2026-12-01T16:29'), LIMA)).to.deep.equal({ open: true });
    expect(serviceOpenness(true, caja, at('2026-12-01T16:30'), LIMA)).to.include({ open: false, reason: 'last_turn_given' });
    expect(serviceOpenness(false, caja, at('2026-12-01T10:00'), LIMA)).to.include({ open: false, reason: 'office_closed' });
    expect(serviceOpenness(true, { name: 'Rentas' }, at('2026-12-01T16:59'), LIMA)).to.deep.equal({ open: true });
    expect(localMinutesOfDay(at('2026-12-01T00:05'), LIMA)).to.equal(5);
    expect(printedLocalTime(at('2026-12-01T09:41'), LIMA)).to.equal('01/12/2026 09:41');
  });

  it('tells the citizen the state of the turn, nothing more', () => {
    expect(publicTurnState('waiting', undefined)).to.equal('waiting');
    expect(publicTurnState('done', 'resolved')).to.equal('attended');
    expect(publicTurnState('done', 'open_case')).to.equal('attended');
    expect(publicTurnState('done', 'no_show')).to.equal('no_show');
    expect(publicTurnState('done', undefined)).to.equal('cancelled');
    expect(publicTurnStateText('called', 'Ventanilla 3')).to.equal('Es su turno: acérquese a la ventanilla 3.');
    expect(publicTurnStateText('parked')).to.match(/le volverán a llamar/);
  });

  it('lets a counter close a turn as a no-show only after the recalls the hall requires', () => {
    expect(recallRule(0, 2)).to.deep.equal({ mayRecall: true, mayMarkNoShow: false });
    expect(recallRule(1, 2)).to.deep.equal({ mayRecall: true, mayMarkNoShow: false });
    expect(recallRule(2, 2)).to.deep.equal({ mayRecall: false, mayMarkNoShow: true });
    expect(recallRule(0, 0)).to.deep.equal({ mayRecall: false, mayMarkNoShow: true });
  });

  it('keeps a turn in the hall until it is done, then hands it to its unit like any case', () => {
    expect(hallQueueOf({ service: 'caja', stage: 'waiting' })).to.equal('caja');
    expect(hallQueueOf({ service: 'caja', stage: 'called' })).to.equal('caja');
    expect(hallQueueOf({ service: 'caja', stage: 'done' })).to.equal(undefined);
    expect(hallQueueOf(undefined)).to.equal(undefined);
  });

  it('prints what the ticket printer needs, in Spanish', () => {
    const lines = turnPrintout({
      hallName: 'Plataforma',
      turnNumber: 'R-042',
      serviceName: 'Rentas',
      issuedAtText: '01/12/2026 09:41',
      ahead: 3,
      waitText: 'Espera estimada: 9 minutos aproximadamente.',
      priorityClass: 'preferential',
      preferentialReason: 'nino_en_brazos',
      trackingCode: 'PL-2026-000123',
      statusUrl: 'https://example.gob.pe/turno/x',
    });
    expect(lines).to.deep.equal([
      'Plataforma',
      'TURNO R-042',
      'Rentas',
      '01/12/2026 09:41',
      'Atención preferente: Niña o niño en brazos',
      '3 personas antes que usted.',
      'Espera estimada: 9 minutos aproximadamente.',
      'Código de seguimiento: PL-2026-000123',
      'Siga su turno desde su celular escaneando el código QR.',
    ]);
  });
});
