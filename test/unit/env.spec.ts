import { expect } from 'chai';
import { DEV_AUTH_SECRET, emailChannelEnv, EnvError, loadEnv, phoneChannelEnv, smtpEnv } from '../../src/config/env.js';

/** The problems `loadEnv` reports for `source` (none when it loads). */
function problems(source: Record<string, string>): readonly string[] {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof EnvError) return err.problems;
    throw err;
  }
  return [];
}

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

describe('environment of the phone channel', () => {
  const twilio = {
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'b'.repeat(32),
    TWILIO_API_KEY_SID: `SK${'c'.repeat(32)}`,
    TWILIO_API_KEY_SECRET: 'd'.repeat(32),
    TWILIO_TWIML_APP_SID: `AP${'e'.repeat(32)}`,
    TWILIO_CALLER_ID: '+5114630000',
  };

  it('is off when no TWILIO_* variable is set', () => {
    expect(phoneChannelEnv(loadEnv({}))).to.equal(undefined);
  });

  it('is on with every TWILIO_* variable and the public URL, which loses its trailing slash', () => {
    const phone = phoneChannelEnv(loadEnv({ ...twilio, PUBLIC_BASE_URL: 'https://atencion.example.gob.pe/cc/' }));
    expect(phone).to.deep.include({ publicBaseUrl: 'https://atencion.example.gob.pe/cc', accountSid: twilio.TWILIO_ACCOUNT_SID, callerId: '+5114630000' });
  });

  it('names every missing variable when only some are set, and asks for the public URL', () => {
    expect(problems({ TWILIO_ACCOUNT_SID: twilio.TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: twilio.TWILIO_AUTH_TOKEN })).to.have.members([
      'TWILIO_API_KEY_SID: is required with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (the phone channel needs all TWILIO_* variables, or none)',
      'TWILIO_API_KEY_SECRET: is required with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (the phone channel needs all TWILIO_* variables, or none)',
      'TWILIO_TWIML_APP_SID: is required with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (the phone channel needs all TWILIO_* variables, or none)',
      'TWILIO_CALLER_ID: is required with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (the phone channel needs all TWILIO_* variables, or none)',
    ]);
    expect(problems(twilio)).to.deep.equal(['PUBLIC_BASE_URL: is required with the phone channel (Twilio signs webhooks over the public URL)']);
  });

  it('refuses malformed values', () => {
    const found = problems({ ...twilio, TWILIO_ACCOUNT_SID: 'AC123', TWILIO_CALLER_ID: '014630000', PUBLIC_BASE_URL: 'https://x.pe/?a=1', TWILIO_SMS_FROM: 'MuniPL' });
    expect(found).to.have.length(4);
    expect(found.join('\n')).to.contain('TWILIO_ACCOUNT_SID').and.contain('TWILIO_CALLER_ID').and.contain('PUBLIC_BASE_URL').and.contain('TWILIO_SMS_FROM');
  });

  it('sends SMS from the caller id, another number or a Messaging Service, or none', () => {
    const on = { ...twilio, PUBLIC_BASE_URL: 'https://atencion.example.gob.pe' };
    expect(phoneChannelEnv(loadEnv(on))?.smsFrom).to.deep.equal({ from: '+5114630000' });
    expect(phoneChannelEnv(loadEnv({ ...on, TWILIO_SMS_FROM: '+51987000111' }))?.smsFrom).to.deep.equal({ from: '+51987000111' });
    expect(phoneChannelEnv(loadEnv({ ...on, TWILIO_SMS_FROM: `MG${'f'.repeat(32)}` }))?.smsFrom).to.deep.equal({ messagingServiceSid: `MG${'f'.repeat(32)}` });
    const off = phoneChannelEnv(loadEnv({ ...on, TWILIO_SMS_FROM: 'off' }));
    expect(off).to.not.equal(undefined);
    expect(off).to.not.have.property('smsFrom');
    expect(problems({ TWILIO_SMS_FROM: '+51987000111' })).to.deep.equal(['TWILIO_SMS_FROM: is used only with the phone channel (set every TWILIO_* variable)']);
  });
});

describe('environment of outgoing mail', () => {
  it('is off without SMTP_HOST', () => {
    expect(smtpEnv(loadEnv({}))).to.equal(undefined);
  });

  it('reads the relay, STARTTLS on port 587 by default, and the sender with or without a name', () => {
    expect(smtpEnv(loadEnv({ SMTP_HOST: 'smtp.munipueblolibre.gob.pe', EMAIL_FROM: 'Municipalidad de Pueblo Libre <atencionalvecino@munipueblolibre.gob.pe>' }))).to.deep.equal({
      host: 'smtp.munipueblolibre.gob.pe',
      port: 587,
      tls: 'starttls',
      from: { name: 'Municipalidad de Pueblo Libre', address: 'atencionalvecino@munipueblolibre.gob.pe' },
    });
    const implicit = smtpEnv(loadEnv({ SMTP_HOST: 'smtp.x.pe', SMTP_PORT: '465', SMTP_TLS: 'implicit', SMTP_USER: 'u', SMTP_PASSWORD: 'p', EMAIL_FROM: '"Muni" <a@x.pe>' }));
    expect(implicit).to.deep.include({ port: 465, tls: 'implicit', auth: { user: 'u', pass: 'p' }, from: { name: 'Muni', address: 'a@x.pe' } });
    expect(smtpEnv(loadEnv({ SMTP_HOST: 'smtp.x.pe', EMAIL_FROM: 'a@x.pe' }))?.from).to.deep.equal({ address: 'a@x.pe' });
  });

  it('needs the host and the sender together, the user and the password together, and refuses malformed values', () => {
    expect(problems({ SMTP_HOST: 'smtp.x.pe' }).join('\n')).to.contain('EMAIL_FROM');
    expect(problems({ EMAIL_FROM: 'a@x.pe' }).join('\n')).to.contain('SMTP_HOST');
    expect(problems({ SMTP_HOST: 'smtp.x.pe', EMAIL_FROM: 'a@x.pe', SMTP_USER: 'u' }).join('\n')).to.contain('SMTP_PASSWORD');
    const found = problems({ SMTP_HOST: 'smtp.x.pe', EMAIL_FROM: 'no es un correo', SMTP_PORT: '99999', SMTP_TLS: 'ssl' }).join('\n');
    expect(found).to.contain('EMAIL_FROM').and.contain('SMTP_PORT').and.contain('SMTP_TLS');
  });
});

describe('environment of the email channel', () => {
  const imap = { IMAP_HOST: 'mail.muniplibre.gob.pe', IMAP_USER: 'atencionalciudadano@muniplibre.gob.pe', IMAP_PASSWORD: 'secreto' };
  const production = { NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/cc', REDIS_URL: 'redis://r:6379', AUTH_SECRET: 's'.repeat(32) };

  it('is off when no IMAP_* variable is set', () => {
    expect(emailChannelEnv(loadEnv({}))).to.equal(undefined);
  });

  it('is on with host, user and password: implicit TLS on 993, a one-minute backstop, attachments under DATA_DIR', () => {
    expect(emailChannelEnv(loadEnv({ ...imap, DATA_DIR: '/var/lib/cc' }))).to.deep.equal({
      imap: { host: 'mail.muniplibre.gob.pe', port: 993, tls: 'tls', user: imap.IMAP_USER, password: 'secreto' },
      pollIntervalMs: 60_000,
      attachmentsDir: '/var/lib/cc/attachments',
    });
    const starttls = emailChannelEnv(loadEnv({ ...imap, IMAP_TLS: 'starttls', IMAP_POLL_SECONDS: '30', EMAIL_ATTACHMENTS_DIR: '/srv/adjuntos' }));
    expect(starttls).to.deep.include({ pollIntervalMs: 30_000, attachmentsDir: '/srv/adjuntos' });
    expect(starttls?.imap).to.include({ port: 143, tls: 'starttls' });
    expect(emailChannelEnv(loadEnv({ ...imap, IMAP_PORT: '1993' }))?.imap.port).to.equal(1993);
  });

  it('names what is missing when only some are set, and refuses settings that would do nothing', () => {
    expect(problems({ IMAP_HOST: imap.IMAP_HOST })).to.have.members([
      'IMAP_USER: is required with IMAP_HOST (the email channel needs IMAP_HOST, IMAP_USER, IMAP_PASSWORD, or none)',
      'IMAP_PASSWORD: is required with IMAP_HOST (the email channel needs IMAP_HOST, IMAP_USER, IMAP_PASSWORD, or none)',
    ]);
    expect(problems({ IMAP_PORT: '993' })).to.deep.equal(['IMAP_PORT: has no effect without IMAP_HOST, IMAP_USER, IMAP_PASSWORD (the email channel is off)']);
  });

  it('refuses a cleartext connection to another machine in production, but not to this one', () => {
    expect(problems({ ...production, ...imap, IMAP_TLS: 'none' })).to.deep.equal([
      'IMAP_TLS: must be tls or starttls in production unless IMAP_HOST is this machine (the password would cross the network in clear)',
    ]);
    expect(problems({ ...production, ...imap, IMAP_HOST: '127.0.0.1', IMAP_TLS: 'none' })).to.deep.equal([]);
    expect(problems({ ...imap, IMAP_TLS: 'none' })).to.deep.equal([]);
  });
});
