import { ImapSyntaxError } from './errors.ts';

// Net-Unicode (RFC 5198, required of mailbox names by RFC 9051 §5.1) has no control characters.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// With the u flag a surrogate code unit only matches when it is not half of a pair.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function utf7(run: string): string {
  const base64 = Buffer.from(run, 'utf16le').swap16().toString('base64');
  return `&${base64.replace(/=+$/, '').replace(/\//g, ',')}-`;
}

/** Modified UTF-7 (RFC 3501 §5.1.3): "&" is "&-", anything but printable ASCII a shifted run of modified BASE64 UTF-16. */
function encodeUtf7(name: string): string {
  return name.replace(/&|[^\x20-\x7e]+/g, (run) => (run === '&' ? '&-' : utf7(run)));
}

function decodeUtf7(name: string): string {
  const decoded = name.replace(/&([A-Za-z0-9+,]*)-/g, (_, base64: string) => {
    if (base64 === '') return '&';
    const utf16 = Buffer.from(base64.replace(/,/g, '/'), 'base64');
    return utf16.length % 2 === 0 ? utf16.swap16().toString('utf16le') : '\ufffd';
  });
  // One canonical form per name (RFC 3501 §5.1.3 wants no superfluous shifts, no printable ASCII
  // in BASE64, every "&" shifted): whatever does not encode back to itself is rejected.
  if (encodeUtf7(decoded) !== name || LONE_SURROGATE.test(decoded)) {
    throw new ImapSyntaxError('mailbox name is not valid modified UTF-7', 'CANNOT');
  }
  return decoded;
}

/**
 * A mailbox name as the client sent it → the name as stored: modified UTF-7 decoded unless UTF-8
 * is enabled (UTF8=ACCEPT or IMAP4rev2), normalised to NFC (RFC 9051 §5.1 allows it, so one
 * mailbox is not two by normalisation), and INBOX in any case is INBOX.
 */
export function decodeMailboxName(name: string, utf8: boolean): string {
  const decoded = (utf8 ? name : decodeUtf7(name)).normalize('NFC');
  if (CONTROL.test(decoded)) throw new ImapSyntaxError('mailbox name has control characters', 'CANNOT');
  return decoded.toUpperCase() === 'INBOX' ? 'INBOX' : decoded;
}

/** A stored mailbox name as a response carries it. */
export function encodeMailboxName(name: string, utf8: boolean): string {
  return utf8 ? name : encodeUtf7(name);
}
