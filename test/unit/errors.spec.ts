import { expect } from 'chai';
import { AppError, ERROR_CATALOGUE, errors } from '../../src/errors.js';

describe('error catalogue', () => {
  it('marks as retryable exactly what another attempt can fix: a lost race, a busy limit, a missing dependency', () => {
    const retryable = Object.entries(ERROR_CATALOGUE)
      .filter(([, entry]) => entry.retryable)
      .map(([code]) => code);
    expect(retryable.sort()).to.deep.equal(['CONFLICT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);
  });

  it('has one factory per code, giving the status, default message and retryability of its entry', () => {
    const made = Object.values(errors).map((make) => make());
    expect(made.map((err) => err.code).sort()).to.deep.equal(Object.keys(ERROR_CATALOGUE).sort());
    for (const err of made) {
      const { status, message, retryable } = ERROR_CATALOGUE[err.code];
      expect(err, err.code).to.be.instanceOf(AppError);
      expect(err, err.code).to.include({ status, message, retryable });
    }
  });

  it('keeps the message and details a call site gives', () => {
    const conflict = errors.conflict('The queue is busy; try again.', { reason: 'busy' });
    expect(conflict).to.include({ code: 'CONFLICT', status: 409, retryable: true, message: 'The queue is busy; try again.' });
    expect(conflict.details).to.deep.equal({ reason: 'busy' });
  });
});
