import { expect } from 'chai';
import { afterCallTemplate, nationalPhone, peruvianMobile, smsNumberOf, statusNoticeReason, textsStatusChanges } from '../../src/domain/citizen-sms.js';
import { TICKET_ACTIONS, TICKET_STATUSES, nextStatus } from '../../src/domain/ticket-lifecycle.js';

describe('SMS to citizens: who, when and which', () => {
  describe('peruvianMobile', () => {
    it('takes a Peruvian mobile however it is written, and answers it in E.164', () => {
      for (const written of ['+51987654321', '+51 987 654 321', '51987654321', '987654321', '987-654-321', ' (+51) 987 654 321 ']) {
        expect(peruvianMobile(written), written).to.equal('+51987654321');
      }
    });

    it('refuses landlines, foreign numbers and anything else', () => {
      for (const other of ['+5114630000', '014630000', '4630000', '+5184234567', '+5198765432', '+519876543210', '+34612345678', '+1987654321', '87654321', 'anonymous', '']) {
        expect(peruvianMobile(other), other).to.equal(null);
      }
    });
  });

  it('texts the most recently learnt mobile of a citizen, skipping landlines', () => {
    expect(smsNumberOf(['+51911111111', '+5114630000', '922 222 222'])).to.equal('+51922222222');
    expect(smsNumberOf(['+51911111111', '+5114630000'])).to.equal('+51911111111');
    expect(smsNumberOf(['+5114630000'])).to.equal(undefined);
    expect(smsNumberOf([])).to.equal(undefined);
  });

  it('writes the office number as Peruvians dial it', () => {
    expect(nationalPhone('+5114630000')).to.equal('(01) 463-0000');
    expect(nationalPhone('+5184234567')).to.equal('(084) 23-4567');
    expect(nationalPhone('+51987654321')).to.equal('987 654 321');
    expect(nationalPhone('+34612345678')).to.equal('+34612345678');
  });

  it('tells of referral, resolution, reopening and cancellation, and of no internal step', () => {
    const told: string[] = [];
    for (const from of TICKET_STATUSES) {
      for (const action of TICKET_ACTIONS) {
        const step = nextStatus(from, action);
        if (!step.ok) continue;
        const reason = statusNoticeReason(step.to, action);
        if (reason !== undefined) told.push(`${from} -${action}-> ${step.to}: ${reason}`);
      }
    }
    expect(told).to.have.members([
      'en_cola -refer-> derivado: referred',
      'asignado -refer-> derivado: referred',
      'en_atencion -refer-> derivado: referred',
      'en_atencion -resolve-> resuelto: resolved',
      'derivado -resolve-> resuelto: resolved',
      'resuelto -reopen-> en_cola: reopened',
      'cerrado -reopen-> en_cola: reopened',
      'nuevo -cancel-> anulado: cancelled',
      'en_cola -cancel-> anulado: cancelled',
      'asignado -cancel-> anulado: cancelled',
      'en_atencion -cancel-> anulado: cancelled',
      'esperando_vecino -cancel-> anulado: cancelled',
      'derivado -cancel-> anulado: cancelled',
      'resuelto -cancel-> anulado: cancelled',
    ]);
  });

  it('texts status changes of phone, counter and staff-entered cases; an e-mail is answered in its thread', () => {
    expect(['phone', 'kiosk', 'manual', 'email'].filter((channel) => textsStatusChanges(channel as 'phone'))).to.deep.equal(['phone', 'kiosk', 'manual']);
  });

  it('picks the after-call message from how the call ended, and none when a status change already told the code', () => {
    expect(afterCallTemplate({ status: 'en_cola', ivrDigits: '9' })).to.equal('sms.call_registered');
    expect(afterCallTemplate({ status: 'en_atencion', ivrDigits: '1' })).to.equal('sms.call_registered');
    expect(afterCallTemplate({ status: 'en_cola', ivrDigits: '9', callbackRequestedAt: new Date() })).to.equal('sms.callback_booked');
    expect(afterCallTemplate({ status: 'en_cola' })).to.equal('sms.voicemail_received');
    expect(afterCallTemplate({ status: 'derivado', ivrDigits: '0' })).to.equal('sms.call_registered');
    for (const status of ['resuelto', 'cerrado', 'anulado'] as const) expect(afterCallTemplate({ status, ivrDigits: '9' }), status).to.equal(undefined);
  });
});
