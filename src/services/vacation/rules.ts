import { parseAddressList } from '../../mime/addresses.ts';
import { findField, rawValue, unfold, type RawField } from '../../mime/headers.ts';

/** What delivery knows about a message when deciding whether to answer it. */
export interface Subject {
  /** Envelope sender (the Return-Path); '' for the null sender. */
  mailFrom: string;
  raw: Buffer;
  fields: RawField[];
}

/** Local parts used by mail software, never by a person who wants a reply (RFC 3834 §2). */
const ROBOT = /^(mailer-daemon|postmaster|listserv|majordomo|mailman|owner-.+|.+-owner|.+-request|.+-bounces?(\+.*)?|bounces?(\+.*)?|no-?reply|do-?not-?reply)$/i;

// RFC 2369 and RFC 2919: a message from a mailing list; replies would go to the whole list's sender.
const LIST_FIELDS = ['list-id', 'list-post', 'list-unsubscribe', 'list-help', 'list-subscribe', 'list-owner', 'list-archive'];
const RECIPIENT_FIELDS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];

const value = (s: Subject, name: string) => {
  const f = findField(s.fields, name);
  return f ? unfold(rawValue(s.raw, f)) : null;
};

/**
 * Why an automatic reply must not be sent (RFC 3834 §2), or null when it may. `own` says whether
 * an address belongs to the user on vacation.
 */
export function refusal(s: Subject, own: (address: string) => boolean): string | null {
  const sender = s.mailFrom.toLowerCase();
  if (!sender) return 'null sender';
  if (ROBOT.test(sender.slice(0, sender.lastIndexOf('@')))) return 'sender is a mail robot';
  if (own(sender)) return 'sent by the user';
  const auto = value(s, 'auto-submitted');
  if (auto !== null && auto.split(';')[0].trim().toLowerCase() !== 'no') return 'Auto-Submitted message';
  const precedence = value(s, 'precedence')?.toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return `Precedence: ${precedence}`;
  if (s.fields.some((f) => LIST_FIELDS.includes(f.lowerName))) return 'mailing list message';
  // Only mail addressed to the user by name: not Bcc'd through a list or forwarded from elsewhere.
  const named = s.fields
    .filter((f) => RECIPIENT_FIELDS.includes(f.lowerName))
    .some((f) => parseAddressList(unfold(rawValue(s.raw, f))).some((a) => a.email && own(a.email.toLowerCase())));
  if (!named) return 'user not named in To, Cc or Bcc';
  return null;
}
