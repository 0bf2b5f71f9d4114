import { parseAddresses, type RawAddress } from './envelope-addresses.ts';
import { fieldValue, forHumans, unfolded } from './field-values.ts';
import { scanHeaders } from './headers.ts';

/**
 * One address of an envelope: name, route, mailbox, host (RFC 9051 §7.5.2), bytes as written,
 * each byte one character (latin1) so the stored JSON gives back the exact bytes.
 */
export type EnvelopeAddress = [name: string | null, route: string | null, mailbox: string | null, host: string | null];

/**
 * The header fields IMAP's ENVELOPE shows, in its order: date, subject, from, sender, reply-to,
 * to, cc, bcc, in-reply-to, message-id. Computed once at ingest and stored with the email, so a
 * client listing a mailbox costs no message reads and no header parsing.
 */
export type Envelope = [
  date: string | null,
  subject: string | null,
  from: EnvelopeAddress[],
  sender: EnvelopeAddress[],
  replyTo: EnvelopeAddress[],
  to: EnvelopeAddress[],
  cc: EnvelopeAddress[],
  bcc: EnvelopeAddress[],
  inReplyTo: string | null,
  messageId: string | null,
];

const TEXT_FIELDS = ['date', 'subject', 'in-reply-to', 'message-id'] as const;
const ADDRESS_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
type AddressField = (typeof ADDRESS_FIELDS)[number];

const isTextField = (name: string): name is TextField => (TEXT_FIELDS as readonly string[]).includes(name);
const isAddressField = (name: string): name is AddressField => (ADDRESS_FIELDS as readonly string[]).includes(name);

const bytes = (b: Buffer | null): string | null => (b === null ? null : b.toString('latin1'));
// Display names are shown as for humans (folds and runs of blanks become one space).
const address = (a: RawAddress): EnvelopeAddress => [a.name === null ? null : bytes(forHumans(a.name)), bytes(a.route), bytes(a.mailbox), bytes(a.host)];

/**
 * The envelope of the header block raw[headerStart, headerEnd): raw values, unfolded but not
 * decoded (RFC 9051 §7.5.2), null for absent fields; sender and reply-to fall back to from when
 * absent or empty.
 *
 * A field that should occur once but occurs twice (RFC 5322 §3.6) is read as Dovecot reads it:
 * the last Date, Subject, In-Reply-To and Message-ID count, and repeated address fields are
 * joined as one list, so no recipient a second field names is hidden from the client.
 */
export function envelopeOf(raw: Buffer, headerStart: number, headerEnd: number): Envelope {
  const text = new Map<TextField, Buffer>();
  const addresses = new Map<AddressField, EnvelopeAddress[]>();
  for (const f of scanHeaders(raw, headerStart, headerEnd).fields) {
    if (isTextField(f.lowerName)) text.set(f.lowerName, fieldValue(raw, f));
    else if (isAddressField(f.lowerName)) {
      const list = addresses.get(f.lowerName) ?? [];
      list.push(...parseAddresses(fieldValue(raw, f)).map(address));
      addresses.set(f.lowerName, list);
    }
  }
  const value = (name: TextField): string | null => {
    const v = text.get(name);
    return v === undefined ? null : bytes(unfolded(v));
  };
  const subject = text.get('subject');
  const list = (name: AddressField): EnvelopeAddress[] => addresses.get(name) ?? [];
  const orFrom = (name: AddressField): EnvelopeAddress[] => (list(name).length > 0 ? list(name) : list('from'));
  return [
    value('date'),
    subject === undefined ? null : bytes(forHumans(subject)),
    list('from'),
    orFrom('sender'),
    orFrom('reply-to'),
    list('to'),
    list('cc'),
    list('bcc'),
    value('in-reply-to'),
    value('message-id'),
  ];
}
