import { atom } from './args.ts';
import { isAtom } from './chars.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Token } from './tokens.ts';

// Flags are case-insensitive; the system ones are given back in the case the RFC spells them.
const SYSTEM = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'].map((f) => [f.toUpperCase(), f]));

/** `flag-keyword`: an atom, as the client spelled it. */
export function keyword(t: Token | undefined): string {
  const value = atom(t);
  if (!isAtom(value)) throw new ImapSyntaxError('invalid keyword');
  return value;
}

/** `flag`: a keyword, or "\" atom (a system flag in its canonical case, or a flag-extension). */
export function flag(t: Token | undefined): string {
  const value = atom(t);
  if (!value.startsWith('\\')) return keyword(t);
  if (!isAtom(value.slice(1))) throw new ImapSyntaxError('invalid flag');
  return SYSTEM.get(value.toUpperCase()) ?? value;
}
