import { isUtf8 } from 'node:buffer';
import { isListMailboxAtom } from './chars.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Token } from './tokens.ts';

function describe(t: Token | undefined): string {
  return t ? t.type : 'nothing';
}

/**
 * An astring (atom, quoted string or literal) as text. Unquoted it may also hold the LIST
 * wildcards % and *, so the one accessor serves mailbox names and LIST patterns alike.
 */
export function astring(t: Token | undefined): string {
  if (t?.type === 'atom' && isListMailboxAtom(t.value)) return t.value;
  if (t?.type === 'string' || (t?.type === 'literal' && !t.binary)) {
    if (!isUtf8(t.value)) throw new ImapSyntaxError('string is not valid UTF-8');
    return t.value.toString('utf8');
  }
  throw new ImapSyntaxError(`expected a string, got ${describe(t)}`);
}

/** An atom's text: keywords, flags, item and option names. */
export function atom(t: Token | undefined): string {
  if (t?.type === 'atom') return t.value;
  throw new ImapSyntaxError(`expected an atom, got ${describe(t)}`);
}

function digits(t: Token | undefined, max: number, what: string): number {
  const text = t?.type === 'atom' ? t.value : '';
  // Digits only: Number() would also take "0x1f", " 1" or "1e3".
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n <= max)) throw new ImapSyntaxError(`expected ${what}`);
  return n;
}

/** `number`: 0 to 4294967295. */
export function number(t: Token | undefined): number {
  return digits(t, 0xffffffff, 'a number from 0 to 4294967295');
}

/** `number64` (sizes, mod-sequences), as far as a JS number holds it exactly. */
export function number64(t: Token | undefined): number {
  return digits(t, Number.MAX_SAFE_INTEGER, `a number from 0 to ${Number.MAX_SAFE_INTEGER}`);
}

export function list(t: Token | undefined): Token[] {
  if (t?.type === 'list') return t.items;
  throw new ImapSyntaxError(`expected a parenthesised list, got ${describe(t)}`);
}
