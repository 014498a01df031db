import type { Request } from 'express';
import twilio from 'twilio';

/**
 * Checks `X-Twilio-Signature`: Twilio signs the URL it requested plus the form parameters with the account's auth
 * token. The URL is rebuilt from `publicBaseUrl` (what Twilio called, before any proxy) and the path and query this
 * server received, never from the Host header or scheme of the request: behind a proxy or a TLS terminator those
 * are the proxy's, and a signature checked against them fails for every real call.
 */
export function twilioSignatureCheck(authToken: string, publicBaseUrl: string): (req: Request) => boolean {
  return (req) => {
    const signature = req.get('x-twilio-signature');
    if (signature === undefined || signature === '') return false;
    const params: unknown = req.body;
    const form = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    return twilio.validateRequest(authToken, signature, `${publicBaseUrl}${req.originalUrl}`, form);
  };
}
