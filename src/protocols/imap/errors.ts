/**
 * A command the grammar rejects. The session answers BAD with the message, or NO with the code
 * where one is given: [BADCHARSET] for a SEARCH charset it does not know, [TOOBIG] for a literal
 * over the limit, [CANNOT] for a mailbox name that is well formed IMAP but not a usable name.
 */
export class ImapSyntaxError extends Error {
  constructor(
    message: string,
    readonly code?: 'BADCHARSET' | 'TOOBIG' | 'CANNOT',
  ) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}
