import { expect } from 'chai';
import { AppError, ERROR_CATALOGUE, ERROR_REASONS, isAppError } from '../../src/errors.js';

describe('error catalogue', () => {
  it('marks as retryable exactly what another attempt can fix: a lost race, a busy limit, a missing dependency', () => {
    const retryable = Object.entries(ERROR_CATALOGUE)
      .filter(([, entry]) => entry.retryable)
      .map(([code]) => code);
    expect(retryable.sort()).to.deep.equal(['CONFLICT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);
  });

  it('raises a code with the status, default message and retryability of its entry', () => {
    for (const [code, { status, message, retryable }] of Object.entries(ERROR_CATALOGUE)) {
      const err = new AppError(code as keyof typeof ERROR_CATALOGUE);
      expect(err, code).to.include({ code, status, message, retryable, reason: undefined });
      expect(err.details, code).to.equal(undefined);
    }
  });

  it('raises a reason under its code, with its default message, and reports it in the details', () => {
    for (const [reason, { code, message }] of Object.entries(ERROR_REASONS)) {
      const err = new AppError(reason as keyof typeof ERROR_REASONS);
      expect(err, reason).to.include({ code, reason, message, status: ERROR_CATALOGUE[code].status, retryable: ERROR_CATALOGUE[code].retryable });
      expect(err.details, reason).to.deep.equal({ reason });
    }
  });

  it('keeps the message and details a call site gives, beside the reason', () => {
    const err = new AppError('recall_limit', 'Announced 3 times: close it as a no-show.', { recalls: 2, recallsBeforeNoShow: 2 });
    expect(err).to.include({ code: 'ILLEGAL_TRANSITION', status: 409, retryable: false, message: 'Announced 3 times: close it as a no-show.' });
    expect(err.details).to.deep.equal({ recalls: 2, recallsBeforeNoShow: 2, reason: 'recall_limit' });
  });

  it('tells an error apart by its code or by its reason, and nothing else', () => {
    const rebuilding = new AppError('live_state_rebuilding');
    expect(isAppError(rebuilding, 'live_state_rebuilding')).to.equal(true);
    expect(isAppError(rebuilding, 'SERVICE_UNAVAILABLE')).to.equal(true);
    expect(isAppError(new AppError('SERVICE_UNAVAILABLE', 'The live queue is being rebuilt; try again in a moment.'), 'live_state_rebuilding')).to.equal(false);
    expect(isAppError(rebuilding, 'CONFLICT')).to.equal(false);
    expect(isAppError(new Error('live_state_rebuilding'))).to.equal(false);
  });
});
