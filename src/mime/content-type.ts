import libmime from 'libmime';
import { decodeWords } from './headers.ts';

export interface StructuredValue {
  /** Lower-cased main value ("text/plain", "attachment"), or "" when absent. */
  value: string;
  params: Record<string, string>;
}

// Parameter values longer than this only appear in hostile input.
const MAX_STRUCTURED = 64 * 1024;

function parse(str: string): { value: string; params: Record<string, string> } {
  try {
    const r = libmime.parseHeaderValue(str);
    return { value: typeof r.value === 'string' ? r.value : '', params: r.params ?? {} };
  } catch {
    return { value: '', params: {} };
  }
}

/**
 * Parses `value; p1=v1; p2*0*=...` with RFC 2231 continuations and charsets (libmime), then
 * also decodes RFC 2047 words inside parameters, which Outlook and others write for file names.
 */
export function parseStructured(input: string): StructuredValue {
  const str = input.length > MAX_STRUCTURED ? input.slice(0, MAX_STRUCTURED) : input;
  const first = parse(str);
  let value = first.value.trim();
  const params: Record<string, string> = {};
  // Broken generators omit the ';' ("multipart/mixed boundary=x"): recover the parameters.
  const ws = value.search(/[ \t\r\n]/);
  if (ws >= 0) {
    const rest = value.slice(ws + 1);
    value = value.slice(0, ws);
    if (rest.indexOf('=') >= 0) {
      const extra = parse('x; ' + rest.replace(/[ \t\r\n]+/g, '; ')).params;
      for (const key of Object.keys(extra)) if (key !== '__proto__') params[key] = extra[key]!;
    }
  }
  for (const key of Object.keys(first.params)) {
    const v = first.params[key];
    // assigning "__proto__" on a plain object would not create a key
    if (typeof v !== 'string' || key === '__proto__') continue;
    params[key] = v.indexOf('=?') >= 0 ? decodeWords(v) : v;
  }
  return { value: value.toLowerCase(), params };
}

const TOKEN = /^[a-z0-9!#$%&'*+.^_`{|}~-]+$/;

/** Validates a lower-cased "type/subtype"; returns null when it is not one. */
export function mediaType(value: string): string | null {
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return null;
  const type = value.slice(0, slash).trim();
  const sub = value.slice(slash + 1).trim();
  if (!TOKEN.test(type) || !TOKEN.test(sub)) return null;
  return type + '/' + sub;
}

/** First token of Content-Transfer-Encoding, lower-cased; comments and quotes dropped. */
export function transferEncoding(value: string | null): string {
  if (!value) return '7bit';
  let v = value.toLowerCase().replace(/\([^()]*\)/g, ' ').replace(/["']/g, '').trim();
  const sp = v.search(/[\s;]/);
  if (sp >= 0) v = v.slice(0, sp);
  if (v === '') return '7bit';
  // Misspellings seen in the wild that every client honours.
  if (v === 'base-64' || v === 'base_64') return 'base64';
  if (v === 'quoted_printable' || v === 'quotedprintable' || v === 'qp') return 'quoted-printable';
  return v;
}

/** Content-ID / Message-ID style value without angle brackets and whitespace. */
export function stripAngles(value: string): string {
  let v = value.trim();
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt + 1);
    v = gt >= 0 ? v.slice(lt + 1, gt) : v.slice(lt + 1);
  }
  return v.replace(/\s+/g, '');
}

/** Types whose body is an encapsulated message (RFC 2046 §5.2.1, RFC 6532 §3.7). */
export function isMessageType(type: string): boolean {
  return type === 'message/rfc822' || type === 'message/global';
}
