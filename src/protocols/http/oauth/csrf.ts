import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'gannet_oauth_csrf';

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Double-submit CSRF protection for the provider's forms: a random value in a SameSite=Strict
 * cookie and the same in a hidden field. Another site can make a browser post the form but can
 * neither read the cookie nor have it sent along cross-site.
 */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  const existing = cookie(req, COOKIE);
  const token = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${COOKIE}=${token}; Path=/oauth; HttpOnly; SameSite=Strict${secure}`);
  return token;
}

export function csrfValid(req: FastifyRequest, submitted: string | undefined): boolean {
  const expected = cookie(req, COOKIE);
  if (!expected || !submitted || expected.length !== submitted.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
}
