import { expect } from 'chai';
import { formatTrackingCode, parseTrackingCode } from '../../src/domain/tracking-code.js';

describe('tracking codes', () => {
  describe('formatTrackingCode', () => {
    it('pads the sequence to six digits', () => {
      expect(formatTrackingCode('PL', 2026, 123)).to.equal('PL-2026-000123');
      expect(formatTrackingCode('PL', 2026, 1)).to.equal('PL-2026-000001');
      expect(formatTrackingCode('PL', 2026, 999999)).to.equal('PL-2026-999999');
    });

    it('grows beyond 999999 without truncating', () => {
      expect(formatTrackingCode('PL', 2026, 1_000_000)).to.equal('PL-2026-1000000');
      expect(formatTrackingCode('PL', 2026, 12_345_678)).to.equal('PL-2026-12345678');
    });

    it('upper-cases the prefix', () => {
      expect(formatTrackingCode('pl', 2027, 42)).to.equal('PL-2027-000042');
    });

    it('rejects inputs it could not read back', () => {
      expect(() => formatTrackingCode('PL', 2026, 0)).to.throw(RangeError);
      expect(() => formatTrackingCode('PL', 2026, -1)).to.throw(RangeError);
      expect(() => formatTrackingCode('PL', 2026, 1.5)).to.throw(RangeError);
      expect(() => formatTrackingCode('PL', 26, 1)).to.throw(RangeError);
      expect(() => formatTrackingCode('', 2026, 1)).to.throw(RangeError);
      expect(() => formatTrackingCode('P-L', 2026, 1)).to.throw(RangeError);
    });
  });

  describe('parseTrackingCode', () => {
    it('reads a code in any case with surrounding spaces', () => {
      expect(parseTrackingCode('  pl-2026-000123 ')).to.deep.equal({ prefix: 'PL', year: 2026, seq: 123 });
      expect(parseTrackingCode('PL-2026-1000000')).to.deep.equal({ prefix: 'PL', year: 2026, seq: 1_000_000 });
    });

    it('round-trips', () => {
      for (const seq of [1, 9, 123, 999_999, 1_000_000, 123_456_789]) {
        const code = formatTrackingCode('PL', 2026, seq);
        expect(parseTrackingCode(code)).to.deep.equal({ prefix: 'PL', year: 2026, seq });
      }
    });

    it('refuses anything formatTrackingCode cannot produce', () => {
      for (const text of [
        '',
        'PL-2026-123',
        'PL-26-000123',
        'PL-2026-0001234',
        'PL-2026-000000',
        'PL2026000123',
        'PL-2026-000123-1',
        'PL 2026 000123',
        '1PL-2026-000123',
      ]) {
        expect(parseTrackingCode(text), text).to.equal(undefined);
      }
    });
  });
});
