import { expect } from 'chai';
import { EnvError, loadEnv } from '../../src/config/env.js';

describe('environment validation', () => {
  it('applies documented defaults for development', () => {
    const env = loadEnv({});
    expect(env).to.include({ NODE_ENV: 'development', ROLE: 'all', PORT: 3000, MONGODB_DB: 'contact_center', LOG_LEVEL: 'info' });
    expect(env.MONGODB_URI).to.equal(undefined);
    expect(Object.isFrozen(env)).to.equal(true);
  });

  it('reads and coerces given values', () => {
    const env = loadEnv({ ROLE: 'worker', PORT: '8080', MONGODB_URI: 'mongodb://db1,db2/cc?replicaSet=rs0', REDIS_URL: 'rediss://r:6380/1' });
    expect(env).to.include({ ROLE: 'worker', PORT: 8080, MONGODB_URI: 'mongodb://db1,db2/cc?replicaSet=rs0', REDIS_URL: 'rediss://r:6380/1' });
  });

  it('treats empty variables as unset', () => {
    expect(loadEnv({ MONGODB_URI: '', PORT: '' }).PORT).to.equal(3000);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadEnv({ ROLE: 'everything', PORT: '99999', MONGODB_URI: 'postgres://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(EnvError);
    const problems = (error as EnvError).problems;
    expect(problems.map((p) => p.split(':')[0])).to.have.members(['ROLE', 'PORT', 'MONGODB_URI', 'LOG_LEVEL']);
    expect((error as EnvError).message).to.contain('MONGODB_URI: must be a mongodb:// or mongodb+srv:// URI');
  });

  it('requires real MongoDB and Redis in production', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' }))
      .to.throw(EnvError)
      .with.property('problems')
      .that.has.members([
        'MONGODB_URI: is required in production (embedded services are for development and tests)',
        'REDIS_URL: is required in production (embedded services are for development and tests)',
      ]);
  });
});
