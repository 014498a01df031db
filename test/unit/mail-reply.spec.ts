import { expect } from 'chai';
import { replyEffect, type ReplyContext } from '../../src/domain/mail-reply.js';

const NOW = new Date('2026-12-01T15:00:00Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

describe('what a mail does to the case it answers', () => {
  const base: ReplyContext = { status: 'en_cola', receivedAt: NOW, reopenWindowDays: 15, automatic: false };

  it('joins an open case; resumes one waiting for the citizen, unless the mail predates the wait', () => {
    for (const status of ['nuevo', 'en_cola', 'asignado', 'en_atencion', 'derivado'] as const) expect(replyEffect({ ...base, status }), status).to.equal('join');
    expect(replyEffect({ ...base, status: 'esperando_vecino', waitingSince: daysAgo(1) })).to.equal('resume');
    expect(replyEffect({ ...base, status: 'esperando_vecino' })).to.equal('resume');
    expect(replyEffect({ ...base, status: 'esperando_vecino', waitingSince: new Date(NOW.getTime() + 1_000) })).to.equal('join');
  });

  it('reopens a resolved or closed case within the window (its last day included), opens a follow-up after it', () => {
    for (const status of ['resuelto', 'cerrado'] as const) {
      expect(replyEffect({ ...base, status, resolvedAt: daysAgo(3) }), status).to.equal('reopen');
      expect(replyEffect({ ...base, status, resolvedAt: daysAgo(15) }), status).to.equal('reopen');
      expect(replyEffect({ ...base, status, resolvedAt: new Date(daysAgo(15).getTime() - 1) }), status).to.equal('follow_up');
      expect(replyEffect({ ...base, status, resolvedAt: daysAgo(40) }), status).to.equal('follow_up');
    }
    expect(replyEffect({ ...base, status: 'resuelto', resolvedAt: daysAgo(1), reopenWindowDays: 0 })).to.equal('follow_up');
  });

  it('does not reopen for a mail received before the resolution (read late, or read again after a crash)', () => {
    expect(replyEffect({ ...base, status: 'resuelto', resolvedAt: new Date(NOW.getTime() + 60_000) })).to.equal('join');
  });

  it('opens a follow-up of an annulled case, and of a closed one without a resolution date', () => {
    expect(replyEffect({ ...base, status: 'anulado' })).to.equal('follow_up');
    expect(replyEffect({ ...base, status: 'cerrado' })).to.equal('follow_up');
  });

  it('lets automatic mail change nothing, whatever the status', () => {
    for (const status of ['esperando_vecino', 'resuelto', 'cerrado', 'anulado'] as const) {
      expect(replyEffect({ ...base, status, resolvedAt: daysAgo(100), automatic: true }), status).to.equal('join');
    }
  });
});
