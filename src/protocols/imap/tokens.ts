export interface PartialRange {
  start: number;
  length: number;
}

/** One argument of a client command, as the reader splits it. */
export type Token =
  /** Any bare word: NIL, numbers, \Flags, keywords, sequence sets such as 1:* or $, LIST patterns. */
  | { type: 'atom'; value: string }
  /** A quoted string, unescaped. */
  | { type: 'string'; value: Buffer }
  /** {n}, {n+} (LITERAL+), or ~{n} / ~{n+} (literal8, binary). */
  | { type: 'literal'; value: Buffer; binary: boolean }
  | { type: 'list'; items: Token[] }
  /**
   * BODY[...]<a.b>, BODY.PEEK[...], BINARY[...], BINARY.PEEK[...], BINARY.SIZE[...]: `value` is the
   * upper-cased name, `section` the tokens inside the brackets ([] for BODY[]).
   */
  | { type: 'fetchatt'; value: string; section: Token[]; partial?: PartialRange };

export interface Command {
  tag: string;
  /** Upper-cased; 'UID FETCH', 'UID STORE', … for the UID forms. */
  name: string;
  args: Token[];
}
