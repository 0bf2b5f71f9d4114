/** An atom written as is: flags (\Seen), NIL-free keywords, response item names. */
export interface Atom {
  atom: string;
}

/** Bytes that may hold NUL, sent as a literal8 (~{n}); only in answer to BINARY[] (RFC 9051 §4.3). */
export interface Binary {
  binary: Buffer;
}

/** Bytes held as a string of characters below U+0100, one per byte (stored raw header values). */
export interface ByteString {
  latin1: string;
}

/**
 * A value in a server response (RFC 9051 §4): NIL, a number, a string or raw bytes (written quoted
 * when they can be, as a literal otherwise), an atom, or a parenthesised list.
 */
export type ImapData = null | number | bigint | string | Buffer | Atom | Binary | ByteString | ImapData[];

export const atom = (value: string): Atom => ({ atom: value });

export function isAtom(value: ImapData): value is Atom {
  return typeof value === 'object' && value !== null && 'atom' in value;
}
