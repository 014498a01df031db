import { expect } from 'chai';
import { hashPassword, verifyPassword } from '../../src/services/staff/password-hash.js';

describe('password hashing (scrypt)', () => {
  const password = 'correct horse battery staple';
  let encoded: string;

  before(async () => {
    encoded = await hashPassword(password);
  });

  it('encodes as scrypt$N$r$p$salt$hash with N=2^15, r=8, p=1, a 16-byte salt and a 32-byte hash', () => {
    const parts = encoded.split('$');
    expect(parts).to.have.length(6);
    expect(parts.slice(0, 4)).to.deep.equal(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(parts[4]!, 'base64url')).to.have.length(16);
    expect(Buffer.from(parts[5]!, 'base64url')).to.have.length(32);
    expect(encoded).not.to.include(password);
  });

  it('round-trips: the right password verifies', async () => {
    expect(await verifyPassword(password, encoded)).to.equal(true);
  });

  it('refuses a wrong password, including one differing only in case or a trailing space', async () => {
    expect(await verifyPassword('correct horse battery stapl', encoded)).to.equal(false);
    expect(await verifyPassword('Correct horse battery staple', encoded)).to.equal(false);
    expect(await verifyPassword(`${password} `, encoded)).to.equal(false);
    expect(await verifyPassword('', encoded)).to.equal(false);
  });

  it('salts every hash: the same password hashes differently each time', async () => {
    const again = await hashPassword(password);
    expect(again).not.to.equal(encoded);
    expect(await verifyPassword(password, again)).to.equal(true);
  });

  it('treats composed and decomposed accents as the same password (NFC)', async () => {
    const composed = 'contrase\u00f1a-caf\u00e9-2026';
    const decomposed = 'contrasen\u0303a-cafe\u0301-2026';
    expect(composed).not.to.equal(decomposed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).to.equal(true);
  });

  it('answers false, never throws, for a tampered or malformed hash string', async () => {
    const [scheme, n, r, p, salt, hash] = encoded.split('$') as [string, string, string, string, string, string];
    const flip = (text: string): string => (text.startsWith('A') ? `B${text.slice(1)}` : `A${text.slice(1)}`);
    const tampered = [
      [scheme, n, r, p, salt, flip(hash)].join('$'),
      [scheme, n, r, p, flip(salt), hash].join('$'),
      [scheme, '16384', r, p, salt, hash].join('$'),
      [scheme, n, '4', p, salt, hash].join('$'),
      [scheme, n, r, '2', salt, hash].join('$'),
      [scheme, '3', r, p, salt, hash].join('$'),
      [scheme, String(2 ** 30), r, p, salt, hash].join('$'),
      [scheme, '-32768', r, p, salt, hash].join('$'),
      ['bcrypt', n, r, p, salt, hash].join('$'),
      [scheme, n, r, p, salt, hash.slice(0, 10)].join('$'),
      [scheme, n, r, p, salt, `${hash}!`].join('$'),
      [scheme, n, r, p, salt].join('$'),
      `${encoded}$extra`,
      '',
      'not a hash',
    ];
    for (const bad of tampered) {
      expect(await verifyPassword(password, bad), bad).to.equal(false);
    }
  });
});
