import type { SMTPServerAddress } from 'smtp-server';
import { SmtpReply } from './replies.ts';

// What EHLO advertises (SIZE, 8BITMIME, SMTPUTF8); AUTH is not offered, DSN only on submission.
const MAIL_PARAMETERS = new Set(['SIZE', 'BODY', 'SMTPUTF8']);
const RCPT_PARAMETERS = new Set<string>();
const DSN_MAIL_PARAMETERS = new Set([...MAIL_PARAMETERS, 'RET', 'ENVID']);
const DSN_RCPT_PARAMETERS = new Set(['NOTIFY', 'ORCPT']);

/**
 * smtp-server validates the parameters it knows and passes any other through silently; RFC 5321
 * §4.1.1.11 wants 555 for a parameter the server does not implement, so the client can tell
 * that, say, its DSN request would be ignored.
 */
export function checkParameters(address: SMTPServerAddress, command: 'MAIL' | 'RCPT', dsn = false): void {
  const allowed = command === 'MAIL' ? (dsn ? DSN_MAIL_PARAMETERS : MAIL_PARAMETERS) : dsn ? DSN_RCPT_PARAMETERS : RCPT_PARAMETERS;
  for (const key of Object.keys(address.args || {})) {
    if (!allowed.has(key)) throw new SmtpReply(555, '5.5.4', `${command} parameter ${key.replace(/[^\x21-\x7e]/g, '?').slice(0, 32)} not supported`);
  }
}
