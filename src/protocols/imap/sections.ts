import { scanHeaders } from '../../mime/headers.ts';
import { findPart } from '../../mime/parts.ts';
import type { MimePart } from '../../mime/types.ts';

/** A BODY[section] as the grammar parses it (RFC 9051 §6.4.5). */
export interface SectionSpec {
  part: number[];
  text?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  fields?: string[];
}

const CRLF = Buffer.from('\r\n');

/** The message a HEADER or TEXT section is about: the root, or the one a message/rfc822 part holds. */
function messageAt(root: MimePart, part: number[]): MimePart | null {
  if (part.length === 0) return root;
  const p = findPart(root, part.join('.'));
  return p && p.type === 'message/rfc822' && p.children.length === 1 ? p.children[0] : null;
}

/** The header lines of the named fields (or all others), exactly as stored, plus the blank line. */
function headerFields(raw: Buffer, msg: MimePart, names: string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const block = scanHeaders(raw, msg.headerStart, msg.headerEnd);
  const out: Buffer[] = [];
  for (const f of block.fields) {
    if (wanted.has(f.lowerName) === not) continue;
    let start = f.valueStart;
    while (start > msg.headerStart && raw[start - 1] !== 0x0a) start--;
    let end = f.valueEnd;
    if (raw[end] === 0x0d) end++;
    if (raw[end] === 0x0a) end++;
    out.push(raw.subarray(start, end));
  }
  out.push(CRLF);
  return Buffer.concat(out);
}

/** The bytes a BODY[section] returns, or null when the message has no such part. */
export function sectionBytes(raw: Buffer, root: MimePart, s: SectionSpec): Buffer | null {
  if (s.text === 'MIME') {
    const p = findPart(root, s.part.join('.'));
    return p ? raw.subarray(p.headerStart, p.headerEnd) : null;
  }
  if (s.text) {
    const msg = messageAt(root, s.part);
    if (!msg) return null;
    if (s.text === 'HEADER') return raw.subarray(msg.headerStart, msg.headerEnd);
    if (s.text === 'TEXT') return raw.subarray(msg.bodyStart, msg.bodyEnd);
    return headerFields(raw, msg, s.fields ?? [], s.text === 'HEADER.FIELDS.NOT');
  }
  if (s.part.length === 0) return raw;
  const p = findPart(root, s.part.join('.'));
  return p ? raw.subarray(p.bodyStart, p.bodyEnd) : null;
}
