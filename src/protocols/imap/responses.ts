import { ServiceError } from '../../services/errors.ts';
import { ImapSyntaxError } from './errors.ts';

/** A command's failure as the client gets it: NO or BAD, with a response code when one applies. */
export class ImapError extends Error {
  constructor(
    readonly status: 'NO' | 'BAD',
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

// Service outcomes → RFC 5530 response codes.
const CODES: Record<ServiceError['code'], { status: 'NO' | 'BAD'; code?: string }> = {
  invalid: { status: 'BAD' },
  notFound: { status: 'NO', code: 'NONEXISTENT' },
  conflict: { status: 'NO', code: 'ALREADYEXISTS' },
  forbidden: { status: 'NO', code: 'CANNOT' },
  unauthenticated: { status: 'NO', code: 'AUTHENTICATIONFAILED' },
  overQuota: { status: 'NO', code: 'OVERQUOTA' },
  tooLarge: { status: 'NO', code: 'TOOBIG' },
  unavailable: { status: 'NO', code: 'UNAVAILABLE' },
  upstream: { status: 'NO', code: 'UNAVAILABLE' },
};

/** Any error a command raised, as an ImapError; null for a bug (the session answers it generically). */
export function asImapError(err: unknown): ImapError | null {
  if (err instanceof ImapError) return err;
  if (err instanceof ImapSyntaxError) {
    return err.code === 'BADCHARSET' ? new ImapError('NO', err.message, 'BADCHARSET (UTF-8 US-ASCII)') : new ImapError('BAD', err.message, err.code === 'TOOBIG' ? 'TOOBIG' : undefined);
  }
  if (err instanceof ServiceError) {
    const m = CODES[err.code];
    return new ImapError(m.status, err.message, m.code);
  }
  return null;
}
