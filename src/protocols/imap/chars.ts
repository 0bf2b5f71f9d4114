// Character classes of RFC 9051 §9, as tables over the 7-bit range: the reader tests every byte.

function table(test: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 128; c++) t[c] = test(c) ? 1 : 0;
  return t;
}

const printable = (c: number) => c > 0x20 && c < 0x7f;
const ATOM_SPECIALS = new Set([...'(){%*"\\]'].map((ch) => ch.charCodeAt(0)));

const ATOM = table((c) => printable(c) && !ATOM_SPECIALS.has(c));
const ASTRING = table((c) => ATOM[c] === 1 || c === 0x5d);
const TAG = table((c) => ASTRING[c] === 1 && c !== 0x2b);
const LIST_MAILBOX = table((c) => ASTRING[c] === 1 || c === 0x25 || c === 0x2a);
// A bare word of the command line: an atom, or an astring, list-mailbox pattern (% and *) or
// sequence set (*); which of them it must be is up to the argument's consumer.
const WORD = table((c) => printable(c) && !'(){"\\'.includes(String.fromCharCode(c)));

export const isAtomChar = (c: number): boolean => ATOM[c] === 1;
export const isTagChar = (c: number): boolean => TAG[c] === 1;
export const isWordChar = (c: number): boolean => WORD[c] === 1;

function all(text: string, t: Uint8Array): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (t[text.charCodeAt(i)] !== 1) return false;
  return true;
}

/** `atom`: a keyword, or a flag after its backslash. */
export const isAtom = (text: string): boolean => all(text, ATOM);
/** `1*ASTRING-CHAR`: a string a response may send unquoted. */
export const isAstringAtom = (text: string): boolean => all(text, ASTRING);
/** `1*list-char`: an astring that may go unquoted, or a LIST pattern (% and * too). */
export const isListMailboxAtom = (text: string): boolean => all(text, LIST_MAILBOX);
