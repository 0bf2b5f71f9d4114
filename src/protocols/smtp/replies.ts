import { ServiceError } from '../../services/errors.ts';
import { RecipientRefused } from '../../services/delivery/delivery.ts';

/**
 * One SMTP/LMTP reply: basic code, enhanced status code (RFC 3463) and text. It is an Error
 * because smtp-server takes rejections as errors carrying `responseCode`; the enhanced code
 * leads the message so the connection hook (enhanced-codes.ts) can send it instead of the
 * library's guess from the basic code.
 */
export class SmtpReply extends Error {
  readonly responseCode: number;

  constructor(
    readonly code: number,
    readonly enhanced: string,
    readonly text: string,
  ) {
    super(`${enhanced} ${text}`);
    this.name = 'SmtpReply';
    this.responseCode = code;
  }

  get transient(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  get failed(): boolean {
    return this.code >= 400;
  }
}

/** Where in the transaction a rejection happens: the same service error reads differently. */
export type Stage = 'mail' | 'rcpt' | 'data';

export const replies = {
  tooManyRecipients: () => new SmtpReply(452, '4.5.3', 'Too many recipients'),
  tooLarge: (limit: number) => new SmtpReply(552, '5.3.4', `Message too big for system (limit ${limit} bytes)`),
  badSenderSyntax: (why: string) => new SmtpReply(501, '5.1.7', `Bad sender address syntax: ${why}`),
  badRecipientSyntax: (why: string) => new SmtpReply(501, '5.1.3', `Bad recipient address syntax: ${why}`),
  // RFC 6531 §3.5: non-ASCII envelope addresses need SMTPUTF8 on MAIL FROM.
  needsSmtpUtf8: () => new SmtpReply(553, '5.6.7', 'Non-ASCII address requires the SMTPUTF8 parameter'),
  dataArguments: () => new SmtpReply(501, '5.5.4', 'Syntax: DATA takes no arguments'),
  // RFC 4954 §6.
  encryptionRequired: () => new SmtpReply(538, '5.7.11', 'Encryption required for requested authentication mechanism: use STARTTLS first'),
  // RFC 7489 §10.3: a DMARC rejection at the end of DATA, with the reason.
  policyRejection: (why: string) => new SmtpReply(550, '5.7.1', why),
  temporaryFailure: () => new SmtpReply(451, '4.3.0', 'Temporary local problem, try again later'),
};

/**
 * Maps what the delivery service says to the wire. Shared by SMTP and LMTP so both answer a
 * full mailbox or an unknown user identically. Texts are fixed: service messages of
 * transient errors may carry internals (SQL, file paths) that do not belong on the wire.
 */
export function replyFor(err: unknown, stage: Stage, address?: string): SmtpReply {
  if (err instanceof SmtpReply) return err;
  const who = address ? `<${address}>: ` : '';
  if (err instanceof RecipientRefused) return replies.policyRejection(`${who}${err.message}`);
  if (err instanceof ServiceError) {
    switch (err.code) {
      case 'notFound':
        return new SmtpReply(550, '5.1.1', `${who}Recipient address rejected: no such mailbox here`);
      case 'forbidden':
        return new SmtpReply(554, '5.7.1', `${who}Relay access denied`);
      case 'overQuota':
        return new SmtpReply(452, '4.2.2', `${who}Mailbox full`);
      case 'tooLarge':
        return new SmtpReply(552, '5.3.4', `${who}Message too big for system`);
      case 'invalid':
        if (stage === 'mail') return replies.badSenderSyntax(err.message);
        if (stage === 'rcpt') return replies.badRecipientSyntax(err.message);
        return new SmtpReply(554, '5.6.0', `${who}Message content rejected`);
    }
  }
  return replies.temporaryFailure();
}

/** What smtp-server's onData callback takes for one reply: a string is sent as 250. */
export function dataResult(reply: SmtpReply): string | Error {
  return reply.failed ? reply : reply.message;
}
