import type { FastifyRequest } from 'fastify';
import { AuthRefused } from '../../../services/auth/authenticate.ts';
import type { Principal } from '../../../services/directory/directory.ts';
import type { Services } from '../../../services/index.ts';

export interface SignInForm {
  username?: string;
  password?: string;
  totp?: string;
}

/**
 * A person signing in on a consent or device page, through the AuthService like every login
 * (2FA, throttling, the auth log). Only the master password will do: an app password is scoped
 * to some protocols, and the token this sign-in leads to could open others.
 * Returns the principal, or what to tell the person and the HTTP status.
 */
export async function signIn(services: Services, req: FastifyRequest, form: SignInForm): Promise<Principal | { status: number; error: string }> {
  try {
    const got = await services.auth.authenticate({
      login: form.username ?? '',
      secret: form.password ?? '',
      protocol: 'api',
      scope: 'master',
      ip: req.ip,
      mechanism: 'oauth',
      logProtocol: 'oauth',
      totp: form.totp || undefined,
    });
    if (got.require2fa) return { status: 401, error: 'Two-factor authentication is on: enter the code from your authenticator app (or a recovery code).' };
    return got.principal;
  } catch (err) {
    if (!(err instanceof AuthRefused)) throw err;
    if (err.reason === 'throttled') return { status: 503, error: 'Too many failed sign-ins. Try again later.' };
    if (err.reason === 'totpInvalid') return { status: 401, error: 'That two-factor code is not valid or was already used.' };
    return { status: 401, error: 'Wrong user name or password.' };
  }
}
