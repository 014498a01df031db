import { expect } from 'chai';
import { DEV_AUTH_SECRET, EnvError, loadEnv } from '../../src/config/env.js';

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
        'AUTH_SECRET: is required in production (the development default is public)',
      ]);
  });

  it('requires a token signing secret of at least 32 characters, and a real one in production', () => {
    const production = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/cc', REDIS_URL: 'redis://r:6379' };
    expect(loadEnv({ ...production, AUTH_SECRET: 's'.repeat(32) }).AUTH_SECRET).to.equal('s'.repeat(32));
    expect(() => loadEnv({ ...production, AUTH_SECRET: DEV_AUTH_SECRET })).to.throw(EnvError, 'AUTH_SECRET');
    expect(() => loadEnv({ AUTH_SECRET: 'too-short' })).to.throw(EnvError, 'AUTH_SECRET: must be at least 32 characters');
    expect(loadEnv({}).AUTH_SECRET).to.equal(DEV_AUTH_SECRET);
    expect(loadEnv({})).to.include({ AUTH_ACCESS_TTL_SECONDS: 900, AUTH_REFRESH_TTL_SECONDS: 604_800 });
  });
});
