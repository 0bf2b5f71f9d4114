import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import libcharset from 'libmime/lib/charset.js';

// Labels that promise ASCII (or nothing at all). Real mail under these labels often carries
// UTF-8 or Windows-1252 bytes anyway, so they get sniffed instead of trusted.
const ASCII_LABELS = new Set([
  '',
  'us-ascii',
  'ascii',
  'us_ascii',
  'ansi_x3.4-1968',
  'iso646-us',
  '7bit',
  '8bit',
  'unknown-8bit',
  'x-unknown',
  'unknown',
  'default',
  'charset',
]);

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'x-utf-8', 'utf-8-sig']);

// WHATWG maps ISO-8859-1 to Windows-1252: mail labelled Latin-1 routinely uses the C1 range
// for curly quotes and the euro sign, and nobody sends real C1 control characters.
const LATIN1_LABELS = new Set([
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'iso_8859-1:1987',
  'latin1',
  'latin-1',
  'l1',
  'cp819',
  'ibm819',
  'iso-ir-100',
  'csisolatin1',
]);

// encoding-japanese (via libmime) copes with the escape-sequence variants iconv-lite lacks.
const JAPANESE = /^(?:iso-?2022-?jp|jis|euc-?jp|x-euc-jp|csiso2022jp)/;

function cleanLabel(charset: string | null | undefined): string {
  if (!charset) return '';
  let cs = charset.trim().toLowerCase();
  if (cs.length > 64) return '';
  if (cs.startsWith('"') || cs.startsWith("'")) cs = cs.replace(/["']/g, '').trim();
  return cs;
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function sniffUtf8OrCp1252(buf: Buffer): string {
  return isUtf8(buf) ? buf.toString('utf8') : iconv.decode(buf, 'windows-1252');
}

/** Decodes bytes in the given MIME charset. Never throws: unknown charsets decode as UTF-8 with U+FFFD. */
export function decodeBytes(buf: Buffer, charset?: string | null): string {
  if (buf.length === 0) return '';
  const cs = cleanLabel(charset);
  try {
    if (ASCII_LABELS.has(cs)) return stripBom(sniffUtf8OrCp1252(buf));
    if (UTF8_LABELS.has(cs)) return stripBom(buf.toString('utf8'));
    if (LATIN1_LABELS.has(cs)) return iconv.decode(buf, 'windows-1252');
    if (JAPANESE.test(cs)) return stripBom(libcharset.decode(buf, cs));
    if (iconv.encodingExists(cs)) return iconv.decode(buf, cs);
    const normalized = libcharset.normalizeCharset(cs).toLowerCase();
    if (UTF8_LABELS.has(normalized)) return stripBom(buf.toString('utf8'));
    if (iconv.encodingExists(normalized)) return iconv.decode(buf, normalized);
  } catch {
    // fall through to the UTF-8 default below
  }
  return stripBom(buf.toString('utf8'));
}

/**
 * Decodes raw header bytes. Headers should be ASCII (or UTF-8 per RFC 6532), but legacy clients
 * write 8-bit text in the body's charset or simply Latin-1/Windows-1252.
 */
export function decodeHeaderBytes(buf: Buffer, hintCharset?: string | null): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  const hint = cleanLabel(hintCharset);
  if (hint && !ASCII_LABELS.has(hint) && !UTF8_LABELS.has(hint)) return decodeBytes(buf, hint);
  return iconv.decode(buf, 'windows-1252');
}
