import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../services/directory/directory.ts';
import { ServiceError } from '../../../services/errors.ts';
import type { HttpAuth } from '../auth.ts';

/**
 * An onRequest hook, so credentials are checked before a request body is read. JMAP serves a
 * user's own account: the admin token has none, so it is refused rather than given an empty session.
 */
export function requireUser(auth: HttpAuth) {
  return async (req: FastifyRequest): Promise<void> => {
    const caller = await auth.authenticate(req);
    if (caller.kind !== 'user') throw new ServiceError('forbidden', 'the admin token has no JMAP account: authenticate as a user');
  };
}

/** The accounts a JMAP request may address: the principal's whole pool, primary first. */
export const poolIds = (principal: Principal): string[] => principal.accounts.map((a) => a.id);

/** The principal requireUser admitted. */
export function principalOf(req: FastifyRequest): Principal {
  const caller = req.caller;
  if (caller?.kind !== 'user') throw new ServiceError('unauthenticated', 'authenticate as a user');
  return caller.principal;
}
