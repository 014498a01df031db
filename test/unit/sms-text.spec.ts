import { expect } from 'chai';
import { smsLength, toGsm7 } from '../../src/domain/sms-text.js';

describe('SMS text: GSM-7 folding and segments', () => {
  it('drops the accents GSM-7 lacks and keeps the Spanish letters it has', () => {
    expect(toGsm7('Código, información, número, Última, ÁÍÓÚ')).to.equal('Codigo, informacion, numero, Ultima, AIOU');
    expect(toGsm7('¿Señor Güemes? ¡Pagó en Perú! é É ñ Ñ ü Ü')).to.equal('¿Señor Güemes? ¡Pago en Peru! é É ñ Ñ ü Ü');
    expect(toGsm7('ç â ê ô')).to.equal('c a e o');
  });

  it('writes typographic quotes, dashes, ellipses and spaces in their plain forms', () => {
    expect(toGsm7('«Vecino» “puntual” ‘sí’ – — … 2º\u00a0piso')).to.equal('"Vecino" "puntual" \'si\' - - ... 2o piso');
  });

  it('keeps what has no plain form: the text then travels as UCS-2', () => {
    expect(toGsm7('Gracias 🙂 李')).to.equal('Gracias 🙂 李');
    expect(smsLength('Gracias 🙂').encoding).to.equal('UCS-2');
  });

  it('counts GSM-7 texts in 160-character segments, 153 once split, extension characters counting two', () => {
    expect(smsLength('a'.repeat(160))).to.deep.equal({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength('a'.repeat(161))).to.deep.equal({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(smsLength('a'.repeat(306))).to.deep.equal({ encoding: 'GSM-7', units: 306, segments: 2 });
    expect(smsLength(`${'a'.repeat(158)}€`)).to.deep.equal({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength(`${'a'.repeat(159)}[`)).to.deep.equal({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  it('counts UCS-2 texts in 70-character segments, 67 once split', () => {
    expect(smsLength(`${'a'.repeat(69)}á`)).to.deep.equal({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsLength(`${'a'.repeat(70)}á`)).to.deep.equal({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(smsLength(`${'a'.repeat(134)}á`).segments).to.equal(3);
  });

  it('makes a Spanish notice of 130 characters one segment instead of two', () => {
    const notice = 'Municipalidad de Pueblo Libre: registramos su llamada con el código PL-2026-000123. Un asesor le devolverá la llamada a este número.';
    expect(smsLength(notice).segments).to.equal(2);
    expect(smsLength(toGsm7(notice))).to.deep.include({ encoding: 'GSM-7', segments: 1 });
  });
});
