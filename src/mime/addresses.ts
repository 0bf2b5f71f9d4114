import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { EmailAddress } from './types.ts';
import { decodeWords } from './headers.ts';

// Address headers of spam can be megabytes of recipients; nobody needs more than this.
const MAX_INPUT = 64 * 1024;
const MAX_ADDRESSES = 1000;

/** Parses an unfolded address-list header value; groups are flattened into their members. */
export function parseAddressList(value: string | null): EmailAddress[] {
  if (!value) return [];
  const input = value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value;
  let parsed: addressparser.Address[];
  try {
    parsed = addressparser(input, { flatten: true });
  } catch {
    return [];
  }
  const out: EmailAddress[] = [];
  for (const a of parsed) {
    if (out.length >= MAX_ADDRESSES) break;
    const email = typeof a.address === 'string' ? a.address.trim() : '';
    // Names are decoded only after splitting: a decoded name may contain "," or "<".
    const name = typeof a.name === 'string' ? decodeWords(a.name).trim() : '';
    if (!email && !name) continue;
    out.push({ name: name || null, email });
  }
  return out;
}
