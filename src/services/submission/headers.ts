import { randomBytes } from 'node:crypto';
import { parseAddressList } from '../../mime/addresses.ts';
import { rawValue, scanHeaders, unfold, type RawField } from '../../mime/headers.ts';

/** What submission needs from the top-level header block of a submitted message. */
export interface SubmittedHeaders {
  /** Every address of every From field (a message may list several authors). */
  from: string[];
  hasMessageId: boolean;
  hasDate: boolean;
}

export function readHeaders(raw: Buffer): SubmittedHeaders {
  const { fields } = scanHeaders(raw, 0, raw.length);
  return { from: addressesOf(raw, fields, ['from']), hasMessageId: fields.some((f) => f.lowerName === 'message-id'), hasDate: fields.some((f) => f.lowerName === 'date') };
}

/**
 * RFC 6409 §8.2–8.3: the MSA adds Message-ID and Date when the client left them out. They are
 * prepended so the client's bytes stay exactly as sent (a DKIM signature the client made, or
 * a later comparison, still holds).
 */
export function addMissingHeaders(raw: Buffer, headers: SubmittedHeaders, hostname: string, now: Date): Buffer {
  let added = '';
  if (!headers.hasMessageId) added += `Message-ID: <${now.getTime().toString(36)}.${randomBytes(9).toString('base64url')}@${hostname}>\r\n`;
  // RFC 5322 §3.3 wants a numeric zone; toUTCString() ends in the obsolete "GMT".
  if (!headers.hasDate) added += `Date: ${now.toUTCString().replace(/GMT$/, '+0000')}\r\n`;
  return added ? Buffer.concat([Buffer.from(added, 'latin1'), raw]) : raw;
}

/** Every address of the top-level fields with these (lower-case) names, in order. */
export function addressesIn(raw: Buffer, names: string[]): string[] {
  return addressesOf(raw, scanHeaders(raw, 0, raw.length).fields, names);
}

function addressesOf(raw: Buffer, fields: RawField[], names: string[]): string[] {
  return fields
    .filter((f) => names.includes(f.lowerName))
    .flatMap((f) => parseAddressList(unfold(rawValue(raw, f))))
    .map((a) => a.email)
    .filter((e) => e !== '');
}

/**
 * The message without its top-level Bcc fields (RFC 8621 §7.5: the server MUST remove them).
 * Only those bytes go; the rest stays as the client wrote it.
 */
export function withoutBcc(raw: Buffer): Buffer {
  const { fields } = scanHeaders(raw, 0, raw.length);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of fields.filter((x) => x.lowerName === 'bcc')) {
    // A field starts at its line's first byte and ends after its last line's break.
    const start = raw.lastIndexOf(0x0a, f.valueStart - 1) + 1;
    let end = f.valueEnd;
    if (raw[end] === 0x0d) end++;
    if (raw[end] === 0x0a) end++;
    parts.push(raw.subarray(pos, start));
    pos = end;
  }
  if (pos === 0) return raw;
  parts.push(raw.subarray(pos));
  return Buffer.concat(parts);
}
