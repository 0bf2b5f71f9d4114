import { randomBytes } from 'node:crypto';
import { parseAddressList } from '../../mime/addresses.ts';
import { rawValue, scanHeaders, unfold } from '../../mime/headers.ts';

/** What submission needs from the top-level header block of a submitted message. */
export interface SubmittedHeaders {
  /** Every address of every From field (a message may list several authors). */
  from: string[];
  hasMessageId: boolean;
  hasDate: boolean;
}

export function readHeaders(raw: Buffer): SubmittedHeaders {
  const { fields } = scanHeaders(raw, 0, raw.length);
  const from = fields
    .filter((f) => f.lowerName === 'from')
    .flatMap((f) => parseAddressList(unfold(rawValue(raw, f))))
    .map((a) => a.email)
    .filter((e) => e !== '');
  return { from, hasMessageId: fields.some((f) => f.lowerName === 'message-id'), hasDate: fields.some((f) => f.lowerName === 'date') };
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
