import { expect } from 'chai';
import { bareSubject, mailsStatusChanges, ourMessageId, referencesFor } from '../../src/domain/citizen-email.js';

describe('mail to citizens: subjects, ids and threading headers', () => {
  it('names the case by its subject without the prefixes and tags clients piled on', () => {
    expect(bareSubject('RE: RV: [PL-2026-000123] Poda de árbol')).to.equal('Poda de árbol');
    expect(bareSubject('Consulta sobre arbitrios')).to.equal('Consulta sobre arbitrios');
    // Nothing left after the prefixes: the subject as it was.
    expect(bareSubject('RE: [PL-2026-000123]')).to.equal('RE: [PL-2026-000123]');
    expect(bareSubject('x'.repeat(500))).to.have.length(200);
  });

  it('makes our Message-ID from the message\'s key and the sender\'s domain', () => {
    expect(ourMessageId('email-abc-acknowledgement', 'AtencionAlVecino@MuniPuebloLibre.gob.pe')).to.equal('email-abc-acknowledgement@munipueblolibre.gob.pe');
  });

  it('threads an answer under the conversation, each id once, keeping the root when the list is cut', () => {
    expect(referencesFor(['a@x', 'b@x'], 'c@x')).to.deep.equal(['a@x', 'b@x', 'c@x']);
    expect(referencesFor(['a@x', 'b@x'], 'b@x')).to.deep.equal(['a@x', 'b@x']);
    expect(referencesFor([], undefined)).to.deep.equal([]);
    const long = Array.from({ length: 30 }, (_, i) => `m${String(i)}@x`);
    const cut = referencesFor(long, 'last@x');
    expect(cut).to.have.length(20);
    expect(cut[0]).to.equal('m0@x');
    expect(cut.at(-1)).to.equal('last@x');
  });

  it('tells of status changes by mail only the cases that came by mail', () => {
    expect(mailsStatusChanges('email')).to.equal(true);
    for (const channel of ['phone', 'kiosk', 'manual'] as const) expect(mailsStatusChanges(channel)).to.equal(false);
  });
});
