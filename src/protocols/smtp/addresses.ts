import { domainToASCII } from 'node:url';
import { replies, type SmtpReply } from './replies.ts';

/**
 * Envelope address syntax beyond what smtp-server already refuses (control characters,
 * missing brackets, bad dots, bad domain characters). smtp-server decodes the command as
 * UTF-8 and turns punycode domains into Unicode; the directory stores ASCII domains, so
 * addresses leave here with an ASCII (A-label) domain.
 */

const ATEXT_ASCII = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
// Under SMTPUTF8 (RFC 6531) any non-ASCII character is allowed as atext.
const ATEXT_UTF8 = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\u0080-\u{10ffff}-]+$/u;
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ADDRESS_LITERAL = /^\[[^\[\]]+\]$/;
const NON_ASCII = /[^\x00-\x7f]/;

type Fail = (why: string) => SmtpReply;

function normalize(raw: string, smtpUtf8: boolean, fail: Fail): string {
  // U+FFFD means the bytes were not UTF-8: 8-bit garbage, not an internationalized address.
  if (raw.includes('\ufffd')) throw fail('not valid UTF-8');
  if (NON_ASCII.test(raw) && !smtpUtf8) throw replies.needsSmtpUtf8();
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) throw fail('expected local-part@domain');
  const local = raw.slice(0, at);
  const domain = raw.slice(at + 1);
  if (!(smtpUtf8 ? ATEXT_UTF8 : ATEXT_ASCII).test(local) && !QUOTED.test(local)) throw fail('bad local part');
  if (ADDRESS_LITERAL.test(domain)) return `${local}@${domain}`;
  const ascii = domainToASCII(domain);
  if (!ascii || ascii.length > 253 || !ascii.split('.').every((l) => LABEL.test(l))) throw fail('bad domain');
  return `${local}@${ascii}`;
}

/** MAIL FROM: the null reverse-path `<>` is what bounces use and must be accepted. */
export function senderAddress(raw: string, smtpUtf8: boolean): string {
  if (raw === '') return '';
  return normalize(raw, smtpUtf8, replies.badSenderSyntax);
}

/** RCPT TO: RFC 5321 §4.5.1 requires the domainless `<postmaster>`; it means ours. */
export function recipientAddress(raw: string, smtpUtf8: boolean, hostname: string): string {
  if (raw.toLowerCase() === 'postmaster') return `postmaster@${hostname}`;
  return normalize(raw, smtpUtf8, replies.badRecipientSyntax);
}
