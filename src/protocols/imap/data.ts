/** An atom written as is: flags (\Seen), NIL-free keywords, response item names. */
export interface Atom {
  atom: string;
}

/**
 * A value in a server response (RFC 9051 §4): NIL, a number, a string or raw bytes (written quoted
 * when they can be, as a literal otherwise), an atom, or a parenthesised list.
 */
export type ImapData = null | number | bigint | string | Buffer | Atom | ImapData[];

export const atom = (value: string): Atom => ({ atom: value });

export function isAtom(value: ImapData): value is Atom {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
