import { expect } from 'chai';
import { answeredCallTimes, estimateWaitMinutes, ivrChoicePaths, menuAt, normaliseSpeech, resolveIvrInput, resolveSurveyAnswer, type IvrConfig } from '../../src/domain/ivr.js';
import { testCatalogue } from '../support/services.js';

const config: IvrConfig = {
  say: { voice: 'Polly.Lupe', language: 'es-US' },
  speechLanguage: 'es-PE',
  greeting: 'Bienvenido.',
  invalidChoice: 'Opción no válida.',
  closed: 'Estamos cerrados.',
  queued: 'En breve le atenderán.',
  stillWaiting: 'Siga en línea.',
  callbackOffer: 'Marque 1.',
  callbackConfirmed: 'Le llamaremos.',
  waitPosition: 'Número {position}.',
  waitEstimate: '{minutes} minutos.',
  voicemailSaved: 'Mensaje registrado.',
  noMessage: 'No hubo mensaje.',
  recording: { enabled: false, notice: 'Esta llamada será grabada (Ley 29733).' },
  survey: { enabled: true, question: 'Marque del 1 al 5.', invalidAnswer: 'Del 1 al 5.', thanks: 'Gracias.' },
  menu: {
    prompt: 'Rentas 1, licencias 2, otras consultas 0.',
    options: [
      { key: '1', keywords: ['rentas', 'impuesto predial'] },
      {
        key: '2',
        keywords: ['licencias'],
        menu: { prompt: 'Funcionamiento 1, edificación 2.', options: [{ key: '1', keywords: ['funcionamiento'] }, { key: '2', keywords: ['edificación'] }] },
      },
    ],
  },
};

describe('IVR menu: what a key or a word means', () => {
  it('chooses an option by its key, and opens the menu under it', () => {
    expect(resolveIvrInput(config, '', 0, { digits: '1' })).to.deep.equal({ kind: 'chosen', ivrDigits: '1', by: 'key' });
    expect(resolveIvrInput(config, '', 0, { digits: '2' })).to.deep.equal({ kind: 'menu', path: '2' });
    expect(resolveIvrInput(config, '2', 0, { digits: '2' })).to.deep.equal({ kind: 'chosen', ivrDigits: '2.2', by: 'key' });
  });

  it('sends "0" to general attention at every menu', () => {
    expect(resolveIvrInput(config, '', 0, { digits: '0' })).to.deep.equal({ kind: 'chosen', ivrDigits: '0', by: 'key' });
    expect(resolveIvrInput(config, '2', 0, { digits: '0' })).to.deep.equal({ kind: 'chosen', ivrDigits: '0', by: 'key' });
  });

  it('repeats the menu once after a key that is not an option, then goes to general attention', () => {
    expect(resolveIvrInput(config, '', 0, { digits: '7' })).to.deep.equal({ kind: 'retry', path: '' });
    expect(resolveIvrInput(config, '', 1, { digits: '7' })).to.deep.equal({ kind: 'chosen', ivrDigits: '0', by: 'default' });
    expect(resolveIvrInput(config, '2', 0, { digits: '#' })).to.deep.equal({ kind: 'retry', path: '2' });
  });

  it('understands spoken words, accents and capitals aside, as whole words', () => {
    expect(resolveIvrInput(config, '', 0, { speech: 'Quiero pagar mi Impuesto Prédial.' })).to.deep.equal({ kind: 'chosen', ivrDigits: '1', by: 'speech' });
    expect(resolveIvrInput(config, '2', 0, { speech: 'una licencia de edificacion' })).to.deep.equal({ kind: 'chosen', ivrDigits: '2.2', by: 'speech' });
    // "rentaste" contains "renta" but is not the word "rentas".
    expect(resolveIvrInput(config, '', 0, { speech: 'rentaste' })).to.deep.equal({ kind: 'chosen', ivrDigits: '0', by: 'default' });
  });

  it('sends no input, unrecognised speech and an unknown menu to general attention rather than hanging up', () => {
    const general = { kind: 'chosen', ivrDigits: '0', by: 'default' };
    expect(resolveIvrInput(config, '', 0, {})).to.deep.equal(general);
    expect(resolveIvrInput(config, '', 0, { digits: '  ', speech: '   ' })).to.deep.equal(general);
    expect(resolveIvrInput(config, '', 0, { speech: 'hola buenas tardes' })).to.deep.equal(general);
    expect(resolveIvrInput(config, '9.9', 0, { digits: '1' })).to.deep.equal(general);
    expect(menuAt(config, '9')).to.equal(undefined);
  });

  it('lists every path that ends in a choice', () => {
    expect(ivrChoicePaths(config)).to.deep.equal(['0', '1', '2.1', '2.2']);
    expect(normaliseSpeech('¡Registro  Civíl!')).to.equal('registro civil');
  });

  it('ships a menu whose every choice a phone routing rule matches', async () => {
    const catalogue = await testCatalogue();
    expect(ivrChoicePaths(catalogue.ivr)).to.include.members(['0', '1', '9']);
    expect(catalogue.ivr.say.voice).to.be.a('string');
  });
});

describe('IVR: the wait announced to a caller', () => {
  it('scales today\'s average wait by the caller\'s place, at least a minute', () => {
    const today = { answered: 10, waitMs: 10 * 6 * 60_000 };
    expect(estimateWaitMinutes(10, 10, today)).to.equal(6);
    expect(estimateWaitMinutes(5, 10, today)).to.equal(3);
    expect(estimateWaitMinutes(1, 40, today)).to.equal(1);
    // More waiting than counted (the count is read a moment later): the caller's place bounds it.
    expect(estimateWaitMinutes(12, 10, today)).to.equal(6);
  });

  it('gives no estimate before three calls were answered today', () => {
    expect(estimateWaitMinutes(3, 5, { answered: 2, waitMs: 600_000 })).to.equal(undefined);
    expect(estimateWaitMinutes(3, 5, { answered: 0, waitMs: 0 })).to.equal(undefined);
  });
});

describe('IVR: after the conversation', () => {
  it('takes one key from 1 to 5 as the rating, asks once more after another key, and ends unrated on silence', () => {
    expect(resolveSurveyAnswer('5', 0)).to.deep.equal({ kind: 'answered', score: 5 });
    expect(resolveSurveyAnswer(' 1', 1)).to.deep.equal({ kind: 'answered', score: 1 });
    expect(resolveSurveyAnswer('6', 0)).to.deep.equal({ kind: 'retry' });
    expect(resolveSurveyAnswer('0', 0)).to.deep.equal({ kind: 'retry' });
    expect(resolveSurveyAnswer('*', 1)).to.deep.equal({ kind: 'unanswered' });
    expect(resolveSurveyAnswer(undefined, 0)).to.deep.equal({ kind: 'unanswered' });
    expect(resolveSurveyAnswer('', 0)).to.deep.equal({ kind: 'unanswered' });
  });

  it('counts the wait until the agent answered and the talk time, in whole seconds', () => {
    const queuedAt = new Date('2026-12-02T15:00:00Z');
    // Answered at 15:02:10 after 130 s in the queue, talked 95 s.
    expect(answeredCallTimes(queuedAt, new Date('2026-12-02T15:03:45Z'), 95)).to.deep.equal({ waitSeconds: 130, talkSeconds: 95 });
    // Clocks a little apart never give a negative wait.
    expect(answeredCallTimes(queuedAt, new Date('2026-12-02T15:00:30Z'), 31)).to.deep.equal({ waitSeconds: 0, talkSeconds: 31 });
  });

  it('ships with recording off and a notice that names Ley 29733, and the survey on', async () => {
    const { ivr } = await testCatalogue();
    expect(ivr.recording.enabled).to.equal(false);
    expect(ivr.recording.notice).to.contain('Ley 29733').and.contain('grabada');
    expect(ivr.survey.enabled).to.equal(true);
    expect(ivr.survey.question).to.contain('1').and.contain('5');
  });
});
