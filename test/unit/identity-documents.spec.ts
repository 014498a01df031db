import { expect } from 'chai';
import {
  dniCheckCharacters,
  isValidDni,
  isValidRuc,
  parseDni,
  parseRuc,
} from '../../src/domain/identity-documents.js';

describe('identity documents', () => {
  describe('dniCheckCharacters', () => {
    // Worked by hand with weights 3,2,7,6,5,4,3,2; key = 11 - sum mod 11 (11 becomes 0), tables
    // "67890112345" and "KABCDEFGHIJ".
    it('computes 12345678 → sum 138, key 5 → 1 / E', () => {
      expect(dniCheckCharacters('12345678')).to.deep.equal({ digit: '1', letter: 'E' });
    });

    it('computes 40659320 → sum 147, key 7 → 2 / G', () => {
      expect(dniCheckCharacters('40659320')).to.deep.equal({ digit: '2', letter: 'G' });
    });

    it('maps a sum divisible by 11 to the first entry of each table (10000004 → 6 / K)', () => {
      expect(dniCheckCharacters('10000004')).to.deep.equal({ digit: '6', letter: 'K' });
    });

    it('maps key 10 to the last entry of each table (40000000 → 5 / J)', () => {
      expect(dniCheckCharacters('40000000')).to.deep.equal({ digit: '5', letter: 'J' });
    });

    it('rejects anything but 8 digits as a programming error', () => {
      expect(() => dniCheckCharacters('1234567')).to.throw(RangeError);
      expect(() => dniCheckCharacters('1234567A')).to.throw(RangeError);
    });
  });

  describe('parseDni', () => {
    it('accepts 8 digits without a check character', () => {
      expect(parseDni('12345678')).to.deep.equal({ ok: true, value: { number: '12345678' } });
    });

    it('trims surrounding whitespace', () => {
      expect(parseDni('  12345678 \n')).to.deep.equal({ ok: true, value: { number: '12345678' } });
    });

    it('accepts the digit form of the check character, with or without separator', () => {
      const expected = { ok: true, value: { number: '12345678', checkChar: '1' } };
      expect(parseDni('12345678-1')).to.deep.equal(expected);
      expect(parseDni('12345678 1')).to.deep.equal(expected);
      expect(parseDni('12345678 - 1')).to.deep.equal(expected);
      expect(parseDni('123456781')).to.deep.equal(expected);
    });

    it('accepts the letter form of the check character in either case', () => {
      const expected = { ok: true, value: { number: '12345678', checkChar: 'E' } };
      expect(parseDni('12345678-E')).to.deep.equal(expected);
      expect(parseDni('12345678e')).to.deep.equal(expected);
      expect(parseDni('40659320-G')).to.deep.equal({ ok: true, value: { number: '40659320', checkChar: 'G' } });
      expect(parseDni('10000004K')).to.deep.equal({ ok: true, value: { number: '10000004', checkChar: 'K' } });
    });

    it('rejects a wrong check character', () => {
      expect(parseDni('12345678-2')).to.deep.equal({ ok: false, reason: 'check_digit' });
      expect(parseDni('12345678-F')).to.deep.equal({ ok: false, reason: 'check_digit' });
      expect(parseDni('12345678-Z')).to.deep.equal({ ok: false, reason: 'check_digit' });
      expect(parseDni('12345678-#')).to.deep.equal({ ok: false, reason: 'check_digit' });
    });

    it('rejects a wrong length', () => {
      expect(parseDni('1234567')).to.deep.equal({ ok: false, reason: 'length' });
      expect(parseDni('1234567890')).to.deep.equal({ ok: false, reason: 'length' });
      expect(parseDni('')).to.deep.equal({ ok: false, reason: 'length' });
      expect(parseDni('12345678-12')).to.deep.equal({ ok: false, reason: 'length' });
    });

    it('rejects letters in the number', () => {
      expect(parseDni('1234567A')).to.deep.equal({ ok: false, reason: 'not_digits' });
      expect(parseDni('ABCDEFGH')).to.deep.equal({ ok: false, reason: 'not_digits' });
      expect(parseDni('1234567A-1')).to.deep.equal({ ok: false, reason: 'not_digits' });
    });

    it('has a boolean shorthand', () => {
      expect(isValidDni('12345678-1')).to.equal(true);
      expect(isValidDni('12345678-2')).to.equal(false);
    });
  });

  describe('parseRuc', () => {
    // Hand-checked: 2·5+0·4+1·3+3·2+1·7+3·6+1·5+2·4+9·3+5·2 = 94, 94 mod 11 = 6, 11 - 6 = 5 (SUNAT's own RUC).
    it('accepts valid RUCs of every branch of the check digit rule', () => {
      expect(parseRuc('20131312955')).to.deep.equal({ ok: true, value: '20131312955' });
      // sum 69 → 11 - 3 = 8
      expect(parseRuc('20100047218')).to.deep.equal({ ok: true, value: '20100047218' });
      // sum 143 → 11 - 0 = 11 → 1
      expect(parseRuc('10123456781')).to.deep.equal({ ok: true, value: '10123456781' });
      // sum 67 → 11 - 1 = 10 → 0
      expect(parseRuc('20100047200')).to.deep.equal({ ok: true, value: '20100047200' });
    });

    it('trims surrounding whitespace', () => {
      expect(parseRuc(' 20131312955 ')).to.deep.equal({ ok: true, value: '20131312955' });
    });

    it('rejects a wrong check digit', () => {
      expect(parseRuc('20131312954')).to.deep.equal({ ok: false, reason: 'check_digit' });
      expect(parseRuc('10123456780')).to.deep.equal({ ok: false, reason: 'check_digit' });
    });

    it('rejects a wrong length', () => {
      expect(parseRuc('2013131295')).to.deep.equal({ ok: false, reason: 'length' });
      expect(parseRuc('201313129550')).to.deep.equal({ ok: false, reason: 'length' });
      expect(parseRuc('')).to.deep.equal({ ok: false, reason: 'length' });
    });

    it('rejects letters and inner separators', () => {
      expect(parseRuc('2013131295A')).to.deep.equal({ ok: false, reason: 'not_digits' });
      expect(parseRuc('20131312-955')).to.deep.equal({ ok: false, reason: 'not_digits' });
    });

    it('rejects a prefix SUNAT does not issue', () => {
      expect(parseRuc('30131312955')).to.deep.equal({ ok: false, reason: 'prefix' });
      expect(parseRuc('11131312955')).to.deep.equal({ ok: false, reason: 'prefix' });
    });

    it('has a boolean shorthand', () => {
      expect(isValidRuc('20131312955')).to.equal(true);
      expect(isValidRuc('20131312954')).to.equal(false);
    });
  });
});
