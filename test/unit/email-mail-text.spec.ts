import { expect } from 'chai';
import { decodeHtmlEntities, htmlToText, repairWindows1252 } from '../../channels/email/mail-text.js';

describe('email text: the Windows-1252 repair and readable HTML', () => {
  it('maps the C1 controls Node\'s TextDecoder gives for Windows-1252 bytes 0x80-0x9F back to what they are', () => {
    // What Node 20.18.3+ decodes `=80 =93 =94 =96 =85` of a windows-1252 part into.
    expect(repairWindows1252('unos 25 \u0080 aprox., \u0093Doña Mary\u0094 \u0096 Av. Bolívar\u0085')).to.equal('unos 25 € aprox., “Doña Mary” – Av. Bolívar…');
    const all = String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 0x80 + i));
    const repaired = repairWindows1252(all);
    expect(repaired).to.have.length(32);
    expect(repaired).to.equal('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ');
    // The same mapping Node's own decoder gives where it has no bug: Latin-1 text is left alone.
    expect(repairWindows1252('Señores: ¿Pueden enviar a fiscalización? Nº 20')).to.equal('Señores: ¿Pueden enviar a fiscalización? Nº 20');
  });

  it('decodes named, decimal and hexadecimal character references, numeric 0x80-0x9F as Windows-1252', () => {
    expect(decodeHtmlEntities('Se&ntilde;ores &iquest;qu&eacute;? &#241; &#xF1; &#150; &amp;lt; &unknown; &#0;')).to.equal('Señores ¿qué? ñ ñ – &lt; &unknown; \ufffd');
  });

  it('turns HTML into paragraphs, lines, bullets and links an agent can read; scripts, styles and comments go', () => {
    const html = [
      '<html><head><title>x</title><style>p { color: red }</style></head><body>',
      '<!-- tracking --><script>alert(1)</script>',
      '<p>Se&ntilde;ores:</p><div>Hay  un   <b>bache</b><br>en Av. Sucre</div>',
      '<ul><li>Primero</li><li>Segundo</li></ul>',
      '<p>Vea <a href="https://muniplibre.gob.pe/tramites">el portal</a> o escriba a <a href="mailto:a@b.pe">a@b.pe</a>.</p>',
      '<table><tr><td>DNI</td><td>09876543</td></tr></table><img src="cid:x" alt="firma">',
      '</body></html>',
    ].join('\n');
    expect(htmlToText(html)).to.equal('Señores:\n\nHay un bache\nen Av. Sucre\n\n• Primero\n• Segundo\n\nVea el portal (https://muniplibre.gob.pe/tramites) o escriba a a@b.pe.\n\nDNI 09876543\n\n[firma]');
    expect(htmlToText('<p onclick="x()">Texto</p><SCRIPT type="text/javascript">var a = "<p>";</SCRIPT>')).to.equal('Texto');
  });
});
