import type { Envelope, EnvelopeAddress } from '../../../mime/envelope.ts';
import type { ImapData } from '../data.ts';

const nstring = (s: string | null): ImapData => (s === null ? null : { latin1: s });

/** An address list as ENVELOPE writes it: NIL when empty. */
function addressList(addresses: EnvelopeAddress[]): ImapData {
  if (addresses.length === 0) return null;
  return addresses.map((a) => [nstring(a[0]), nstring(a[1]), nstring(a[2]), nstring(a[3])]);
}

/** The ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) of an email, from its stored envelope fields. */
export function envelope(e: Envelope): ImapData {
  return [nstring(e[0]), nstring(e[1]), addressList(e[2]), addressList(e[3]), addressList(e[4]), addressList(e[5]), addressList(e[6]), addressList(e[7]), nstring(e[8]), nstring(e[9])];
}
