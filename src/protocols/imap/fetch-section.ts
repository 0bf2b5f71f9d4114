import { astring, atom, list } from './args.ts';
import { isAstringAtom } from './chars.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Token } from './tokens.ts';

export interface Section {
  /** Body part numbers, [] for the message itself. */
  part: number[];
  text?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Header field names of HEADER.FIELDS[.NOT], as the client spelled them. */
  fields?: string[];
}

const TEXTS = new Set(['HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME']);
// RFC 5322 field-name: printable ASCII but the colon.
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

function partNumber(text: string): number {
  // nz-number: no leading zero, 32 bits.
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 0xffffffff) throw new ImapSyntaxError('body part numbers run from 1 to 4294967295');
  return Number(text);
}

function fieldName(t: Token): string {
  const name = astring(t);
  if (!FIELD_NAME.test(name)) throw new ImapSyntaxError('invalid header field name');
  return name;
}

/** `section-spec`: the tokens between BODY's brackets. */
export function parseSection(tokens: Token[]): Section {
  if (tokens.length === 0) return { part: [] };
  const components = atom(tokens[0]).toUpperCase().split('.');
  let n = 0;
  while (n < components.length && /^\d+$/.test(components[n])) n++;
  const part = components.slice(0, n).map(partNumber);
  const rest = components.slice(n);
  const text = rest.join('.');
  const needsFields = text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT';
  if (rest.length > 0 && !TEXTS.has(text)) throw new ImapSyntaxError('unknown section');
  if (text === 'MIME' && part.length === 0) throw new ImapSyntaxError('MIME needs a body part number');
  if (tokens.length !== (needsFields ? 2 : 1)) throw new ImapSyntaxError(needsFields ? `${text} needs a list of field names` : 'unexpected section argument');
  if (!needsFields) return text === '' ? { part } : { part, text: text as Section['text'] };
  const fields = list(tokens[1]).map(fieldName);
  if (fields.length === 0) throw new ImapSyntaxError(`${text} needs a list of field names`);
  return { part, text, fields };
}

/** `section-binary`: part numbers only. */
export function parseBinaryPart(tokens: Token[]): number[] {
  if (tokens.length === 0) return [];
  if (tokens.length > 1) throw new ImapSyntaxError('unexpected section argument');
  return atom(tokens[0]).split('.').map(partNumber);
}

function responseField(name: string): string {
  const upper = name.toUpperCase();
  return isAstringAtom(upper) ? upper : `"${upper.replace(/["\\]/g, '\\$&')}"`;
}

/** The section as the response names it; field names upper-cased (RFC 9051's examples do, as most servers). */
export function sectionName(section: Section): string {
  const spec = [...section.part, ...(section.text ? [section.text] : [])].join('.');
  return section.fields ? `${spec} (${section.fields.map(responseField).join(' ')})` : spec;
}
