import { Lexer, isAtext, isTokenChar } from '../../../mime/lexer.ts';
import { scanHeaders } from '../../../mime/headers.ts';
import type { MimePart } from '../../../mime/types.ts';
import { fieldValue, unfolded } from '../../../mime/field-values.ts';
import { parseContentType, parseDisposition, type MediaType, type Param } from './params.ts';

/** A part's Content-* header fields as written (RFC 2045, 2183, 3282, 2557, 1864). */
export interface ContentFields {
  /** The Content-Type when present and parsable. */
  contentType: MediaType | null;
  id: Buffer | null;
  description: Buffer | null;
  /** The Content-Transfer-Encoding token, or null when absent or not a single token. */
  encoding: Buffer | null;
  disposition: { type: Buffer; params: Param[] } | null;
  language: Buffer[] | null;
  location: Buffer | null;
  md5: Buffer | null;
}

/** Content-Language (RFC 3282): a comma-separated list of language tags, null when there are none. */
function languages(value: Buffer): Buffer[] | null {
  const lx = new Lexer(value);
  const tags: Buffer[] = [];
  lx.skipCfws();
  for (;;) {
    const tag = lx.run(isAtext);
    if (tag.length === 0) break;
    tags.push(tag);
    if (!lx.skipCfws() || lx.peek() !== 0x2c) break;
    lx.pos++;
    lx.skipCfws();
  }
  return tags.length > 0 ? tags : null;
}

/** Content-Transfer-Encoding: one token and nothing else but CFWS (RFC 2045 §6.1). */
function encoding(value: Buffer): Buffer | null {
  const lx = new Lexer(value);
  if (!lx.skipCfws()) return null;
  const mechanism = lx.run(isTokenChar);
  return mechanism.length > 0 && lx.skipCfws() && !lx.more() ? mechanism : null;
}

const READERS: { [K in keyof ContentFields]: [field: string, read: (value: Buffer) => ContentFields[K]] } = {
  contentType: ['content-type', parseContentType],
  id: ['content-id', unfolded],
  description: ['content-description', unfolded],
  encoding: ['content-transfer-encoding', encoding],
  disposition: ['content-disposition', parseDisposition],
  language: ['content-language', languages],
  location: ['content-location', unfolded],
  md5: ['content-md5', unfolded],
};

const KEYS = Object.keys(READERS) as (keyof ContentFields)[];
const KEY_OF_FIELD = new Map(KEYS.map((key) => [READERS[key][0], key]));

function read<K extends keyof ContentFields>(out: ContentFields, key: K, value: Buffer): void {
  out[key] = READERS[key][1](value);
}

/**
 * The Content-* fields of a part; the first of each counts. A message that has neither
 * MIME-Version nor Content-Type is not a MIME entity (RFC 2045 §4), so its other Content-*
 * fields mean nothing and it reads as the RFC 2045 defaults; a body part of a multipart is MIME
 * by its place.
 */
export function contentFields(raw: Buffer, part: MimePart, isMessage: boolean): ContentFields {
  const out: ContentFields = { contentType: null, id: null, description: null, encoding: null, disposition: null, language: null, location: null, md5: null };
  const fields = scanHeaders(raw, part.headerStart, part.headerEnd).fields;
  if (isMessage && !fields.some((f) => f.lowerName === 'mime-version' || f.lowerName === 'content-type')) return out;
  const seen = new Set<keyof ContentFields>();
  for (const f of fields) {
    const key = KEY_OF_FIELD.get(f.lowerName);
    if (key === undefined || seen.has(key)) continue;
    seen.add(key);
    read(out, key, fieldValue(raw, f));
  }
  return out;
}
