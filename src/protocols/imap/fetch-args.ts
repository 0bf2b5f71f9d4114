import { atom, list, number64 } from './args.ts';
import { ImapSyntaxError } from './errors.ts';
import { parseBinaryPart, parseSection, sectionName, type Section } from './fetch-section.ts';
import { parseModifiers } from './modifiers.ts';
import type { PartialRange, Token } from './tokens.ts';

export type { Section } from './fetch-section.ts';

/** `name` is the item's name as the response must carry it (RFC 9051 §7.5.2). */
export type FetchItem =
  | { kind: 'uid' }
  | { kind: 'flags' }
  | { kind: 'internaldate' }
  | { kind: 'rfc822.size' }
  | { kind: 'envelope' }
  | { kind: 'bodystructure'; extended: boolean }
  | { kind: 'body'; peek: boolean; section: Section; partial?: PartialRange; name: string }
  | { kind: 'binary'; peek: boolean; part: number[]; partial?: PartialRange; name: string }
  | { kind: 'binary.size'; part: number[]; name: string }
  | { kind: 'rfc822' }
  | { kind: 'rfc822.header' }
  | { kind: 'rfc822.text' }
  | { kind: 'modseq' }
  | { kind: 'emailid' }
  | { kind: 'threadid' };

export interface FetchArgs {
  /** MODSEQ is among them whenever CHANGEDSINCE is given (RFC 7162 §3.1.4.1). */
  items: FetchItem[];
  changedSince?: number;
  vanished: boolean;
}

const SIMPLE: Record<string, () => FetchItem> = {
  UID: () => ({ kind: 'uid' }),
  FLAGS: () => ({ kind: 'flags' }),
  INTERNALDATE: () => ({ kind: 'internaldate' }),
  'RFC822.SIZE': () => ({ kind: 'rfc822.size' }),
  ENVELOPE: () => ({ kind: 'envelope' }),
  BODY: () => ({ kind: 'bodystructure', extended: false }),
  BODYSTRUCTURE: () => ({ kind: 'bodystructure', extended: true }),
  RFC822: () => ({ kind: 'rfc822' }),
  'RFC822.HEADER': () => ({ kind: 'rfc822.header' }),
  'RFC822.TEXT': () => ({ kind: 'rfc822.text' }),
  MODSEQ: () => ({ kind: 'modseq' }),
  EMAILID: () => ({ kind: 'emailid' }),
  THREADID: () => ({ kind: 'threadid' }),
};

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

function simpleItem(name: string): FetchItem {
  if (!Object.hasOwn(SIMPLE, name)) throw new ImapSyntaxError(`unknown FETCH item ${name.slice(0, 40)}`);
  return SIMPLE[name]();
}

/** BODY[...], BINARY[...] and their PEEK and SIZE forms. A partial answers with its origin only: BODY[]<0>. */
function sectionItem(t: Extract<Token, { type: 'fetchatt' }>): FetchItem {
  const peek = t.value.endsWith('.PEEK');
  const partial = t.partial && { partial: t.partial };
  const origin = t.partial ? `<${t.partial.start}>` : '';
  if (t.value.startsWith('BODY')) {
    const section = parseSection(t.section);
    return { kind: 'body', peek, section, ...partial, name: `BODY[${sectionName(section)}]${origin}` };
  }
  const part = parseBinaryPart(t.section);
  if (t.value !== 'BINARY.SIZE') return { kind: 'binary', peek, part, ...partial, name: `BINARY[${part.join('.')}]${origin}` };
  if (partial) throw new ImapSyntaxError('BINARY.SIZE takes no partial range');
  return { kind: 'binary.size', part, name: `BINARY.SIZE[${part.join('.')}]` };
}

const item = (t: Token): FetchItem => (t.type === 'fetchatt' ? sectionItem(t) : simpleItem(atom(t).toUpperCase()));

function items(t: Token | undefined): FetchItem[] {
  if (!t) throw new ImapSyntaxError('missing FETCH items');
  if (t.type === 'list') {
    if (t.items.length === 0) throw new ImapSyntaxError('empty FETCH item list');
    return t.items.map(item);
  }
  // A macro stands alone: never inside parentheses, never beside other items.
  const name = t.type === 'atom' ? t.value.toUpperCase() : '';
  return Object.hasOwn(MACROS, name) ? MACROS[name].map(simpleItem) : [item(t)];
}

/** The arguments after the sequence set: items or a macro, then (CHANGEDSINCE n [VANISHED]) of RFC 7162. */
export function parseFetchArgs(args: Token[]): FetchArgs {
  if (args.length > 2) throw new ImapSyntaxError('unexpected FETCH argument');
  const fetched = items(args[0]);
  const modifiers = args[1] ? parseModifiers(list(args[1]), { CHANGEDSINCE: true, VANISHED: false }) : null;
  const changed = modifiers?.get('CHANGEDSINCE');
  const vanished = modifiers?.has('VANISHED') ?? false;
  if (vanished && !changed) throw new ImapSyntaxError('VANISHED needs CHANGEDSINCE');
  if (!changed) return { items: fetched, vanished };
  if (!fetched.some((i) => i.kind === 'modseq')) fetched.push({ kind: 'modseq' });
  return { items: fetched, changedSince: number64(changed), vanished };
}
