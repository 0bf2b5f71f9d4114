import { createHmac, randomBytes } from 'node:crypto';

/**
 * Receivers check `X-Gannet-Signature: sha256=<hex>` = HMAC-SHA256 with the hook's secret over
 * `<X-Gannet-Timestamp>.<raw body>`. The timestamp (Unix seconds, new on every attempt) is signed
 * too, so a captured request replayed later fails a receiver's freshness check (say 5 minutes)
 * without the body losing its identity: the event id stays the same across attempts.
 */
export function signature(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** A new signing secret: 256 random bits. */
export const newSecret = (): string => 'whsec_' + randomBytes(32).toString('base64url');
