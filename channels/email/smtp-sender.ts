import nodemailer from 'nodemailer';
import type { SmtpEnv } from '../../src/config/env.js';
import type { EmailGateway, OutgoingEmail } from '../../src/domain/outbound.js';
import { AppError } from '../../src/errors.js';

/** How long one SMTP conversation may take before the attempt counts as failed (and is retried by its job). */
const SMTP_TIMEOUT_MS = 30_000;

function smtpCodeOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'responseCode' in err && typeof err.responseCode === 'number' ? err.responseCode : undefined;
}

/**
 * The relay's answer in the error catalogue's terms. A 5xx is the relay refusing this mail for good (no such mailbox,
 * policy, too big): sending again gives the same answer, so it is not retried. A 4xx (greylisting, mailbox full for
 * now), no connection or a timeout may pass later.
 */
function inCatalogueTerms(err: unknown): AppError {
  const code = smtpCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && code >= 500) return new AppError('MESSAGE_REFUSED', message, { provider: 'smtp', providerCode: code });
  return new AppError('SERVICE_UNAVAILABLE', message, { provider: 'smtp', ...(code !== undefined ? { providerCode: code } : {}) });
}

function bracketed(id: string): string {
  return `<${id}>`;
}

/**
 * The office's outgoing mail through the city's SMTP relay: one pooled nodemailer transport for the process, so a
 * burst of notices reuses a few connections. Transport only: what to send, to whom and when is decided in
 * the citizen-messages capability (`src/services/citizen-messages/`).
 */
export function createSmtpEmailGateway(smtp: SmtpEnv): EmailGateway {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 3,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.auth !== undefined ? { auth: smtp.auth } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  const from = smtp.from.name !== undefined ? { name: smtp.from.name, address: smtp.from.address } : smtp.from.address;
  return {
    fromAddress: smtp.from.address,
    async send(mail: OutgoingEmail) {
      const headers: Record<string, string> = {};
      if (mail.automatic !== undefined) {
        headers['Auto-Submitted'] = mail.automatic;
        headers['X-Auto-Response-Suppress'] = 'All';
      }
      try {
        await transport.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: bracketed(mail.messageId),
          ...(mail.inReplyTo !== undefined ? { inReplyTo: bracketed(mail.inReplyTo) } : {}),
          ...(mail.references !== undefined && mail.references.length > 0 ? { references: mail.references.map(bracketed) } : {}),
          headers,
        });
      } catch (err) {
        throw inCatalogueTerms(err);
      }
    },
    close() {
      transport.close();
    },
  };
}
