import { scanHeaders } from '../../../mime/headers.ts';
import type { ImapData } from '../data.ts';
import { addressList, parseAddresses, type ImapAddress } from './addresses.ts';
import { fieldValue, forHumans, unfolded } from './field-values.ts';

const TEXT_FIELDS = ['date', 'subject', 'in-reply-to', 'message-id'] as const;
const ADDRESS_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
type AddressField = (typeof ADDRESS_FIELDS)[number];

const isTextField = (name: string): name is TextField => (TEXT_FIELDS as readonly string[]).includes(name);
const isAddressField = (name: string): name is AddressField => (ADDRESS_FIELDS as readonly string[]).includes(name);

/**
 * The ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) of the header block raw[headerStart, headerEnd):
 * raw values, unfolded but not decoded, NIL for absent fields; sender and reply-to fall back to
 * from when absent or empty.
 *
 * A field that should occur once but occurs twice (RFC 5322 §3.6) is read as Dovecot reads it:
 * the last Date, Subject, In-Reply-To and Message-ID count, and repeated address fields are
 * joined as one list, so no recipient a second field names is hidden from the client.
 */
export function envelope(raw: Buffer, headerStart: number, headerEnd: number): ImapData {
  const text = new Map<TextField, Buffer>();
  const addresses = new Map<AddressField, ImapAddress[]>();
  for (const f of scanHeaders(raw, headerStart, headerEnd).fields) {
    if (isTextField(f.lowerName)) text.set(f.lowerName, fieldValue(raw, f));
    else if (isAddressField(f.lowerName)) {
      const list = addresses.get(f.lowerName) ?? [];
      list.push(...parseAddresses(fieldValue(raw, f)));
      addresses.set(f.lowerName, list);
    }
  }
  const nstring = (name: TextField): Buffer | null => {
    const value = text.get(name);
    return value === undefined ? null : unfolded(value);
  };
  const subject = text.get('subject');
  const list = (name: AddressField): ImapAddress[] => addresses.get(name) ?? [];
  const orFrom = (name: AddressField): ImapAddress[] => (list(name).length > 0 ? list(name) : list('from'));
  return [
    nstring('date'),
    subject === undefined ? null : forHumans(subject),
    addressList(list('from')),
    addressList(orFrom('sender')),
    addressList(orFrom('reply-to')),
    addressList(list('to')),
    addressList(list('cc')),
    addressList(list('bcc')),
    nstring('in-reply-to'),
    nstring('message-id'),
  ];
}
