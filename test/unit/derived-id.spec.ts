import { expect } from 'chai';
import { citizenMessageIdFor } from '../../src/store/citizen-message.repository.js';
import { derivedObjectId } from '../../src/store/derived-id.js';
import { ticketIdFor } from '../../src/store/ticket.repository.js';

describe('ids derived from what names a record', () => {
  it('are the first 12 bytes of the SHA-256 of the parts joined by newlines: the ids stored so far stay the same', () => {
    // Written down once: a change here would orphan every ticket, message and thread key already stored.
    expect(ticketIdFor('email', 'abc@example.com').toHexString()).to.equal('12f594947b5439c738a13ee3');
    expect(citizenMessageIdFor('email-x-acknowledgement').toHexString()).to.equal('bca5bb7dcc5b2a82c5b3409a');
  });

  it('tell the parts apart: the same text split differently is another record', () => {
    expect(derivedObjectId('email', 'abc').equals(derivedObjectId('email', 'abc'))).to.equal(true);
    expect(derivedObjectId('email', 'abc').equals(derivedObjectId('emai', 'labc'))).to.equal(false);
  });
});
