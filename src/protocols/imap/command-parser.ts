import { isUtf8 } from 'node:buffer';
import { isAtomChar, isTagChar, isWordChar } from './chars.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Command, Token } from './tokens.ts';

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LESS = 0x3c;
const NO_CLOSE = -1;

// Only these names open a section with '['; anywhere else '[' is an astring character ("[Gmail]/*").
const SECTION_NAMES = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

interface Frame {
  close: number;
  items: Token[];
  name: string;
}

/**
 * Where the next byte stands: 'name' before the tag and command name, 'after' just after a
 * token (a space, a closing bracket or the end may follow), 'before' just after a space (a token
 * must follow), 'open' just after "(" or "[" (a token or the matching close).
 */
type Position = 'name' | 'after' | 'before' | 'open';

/** The tag a command line starts with, when it is a valid one followed by a space. */
export function readTag(line: Buffer): string | null {
  let i = 0;
  while (i < line.length && isTagChar(line[i])) i++;
  return i > 0 && line[i] === SP ? line.toString('latin1', 0, i) : null;
}

function atomEnd(line: Buffer, from: number): number {
  let i = from;
  while (i < line.length && isAtomChar(line[i])) i++;
  return i;
}

/**
 * Turns the lines of one command into tokens. A command comes as lines split by literals, so the
 * open lists and sections are kept from one line to the next; the reader frames the lines and
 * hands over each literal's data.
 */
export class CommandParser {
  tag: string | null = null;
  private name = '';
  private readonly frames: Frame[] = [{ close: NO_CLOSE, items: [], name: '' }];
  private position: Position = 'name';

  constructor(private readonly maxDepth: number) {}

  /** One line of the command, without its line end; `literalNext` when a literal's data follows it. */
  line(line: Buffer, literalNext: boolean): void {
    let i = this.position === 'name' ? this.header(line) : 0;
    while (i < line.length) i = this.step(line, i);
    if (literalNext && this.position === 'after') throw new ImapSyntaxError('a literal must follow a space or an opening bracket');
    if (!literalNext && this.position !== 'after') throw new ImapSyntaxError('unexpected end of line');
  }

  literal(value: Buffer, binary: boolean): void {
    this.push({ type: 'literal', value, binary });
  }

  /** The command as far as it has come: the arguments complete so far. */
  soFar(): Command {
    return { tag: this.tag ?? '', name: this.name, args: [...this.frames[0].items] };
  }

  /** The command, once its last line is in. */
  end(): Command {
    if (this.frames.length > 1) throw new ImapSyntaxError(`missing "${String.fromCharCode(this.top().close)}"`);
    return this.soFar();
  }

  private header(line: Buffer): number {
    this.tag = readTag(line);
    if (this.tag === null) {
      const tagOnly = line.length > 0 && line.every(isTagChar);
      if (tagOnly) this.tag = line.toString('latin1');
      throw new ImapSyntaxError(tagOnly ? 'missing command name' : line.length === 0 ? 'empty command line' : 'invalid tag');
    }
    let i = this.tag.length + 1;
    let end = atomEnd(line, i);
    if (end === i) throw new ImapSyntaxError('missing command name');
    this.name = line.toString('latin1', i, end).toUpperCase();
    if (this.name === 'UID') {
      i = end + 1;
      end = line[end] === SP ? atomEnd(line, i) : i;
      if (end === i) throw new ImapSyntaxError('UID must be followed by a command name');
      this.name += ` ${line.toString('latin1', i, end).toUpperCase()}`;
    }
    this.position = 'after';
    return end;
  }

  private step(line: Buffer, i: number): number {
    const c = line[i];
    if (this.position !== 'before' && c === this.top().close) return this.close(line, i);
    if (this.position === 'after') {
      if (c !== SP) throw new ImapSyntaxError(`expected a space at column ${i + 1}`);
      this.position = 'before';
      return i + 1;
    }
    if (c === DQUOTE) return this.quoted(line, i);
    if (c === LPAREN) {
      this.open(RPAREN, '');
      return i + 1;
    }
    return this.word(line, i);
  }

  private quoted(line: Buffer, start: number): number {
    const parts: Buffer[] = [];
    let from = start + 1;
    let eightBit = false;
    for (let i = from; i < line.length; i++) {
      const c = line[i];
      if (c === DQUOTE) {
        parts.push(line.subarray(from, i));
        const value = Buffer.concat(parts);
        if (eightBit && !isUtf8(value)) throw new ImapSyntaxError('quoted string is not valid UTF-8');
        this.push({ type: 'string', value });
        return i + 1;
      }
      if (c === BACKSLASH) {
        if (line[i + 1] !== DQUOTE && line[i + 1] !== BACKSLASH) throw new ImapSyntaxError('only \\" and \\\\ may be escaped in a quoted string');
        parts.push(line.subarray(from, i));
        from = ++i;
      } else if (c === 0 || c === 0x0d) {
        throw new ImapSyntaxError('NUL or CR in a quoted string');
      } else if (c >= 0x80) {
        eightBit = true;
      }
    }
    throw new ImapSyntaxError('unterminated quoted string');
  }

  private word(line: Buffer, start: number): number {
    // Inside a section's own brackets "]" closes it; elsewhere it is an astring character.
    const inSection = this.top().close === RBRACKET;
    let i = line[start] === BACKSLASH ? start + 1 : start;
    const first = i;
    for (; i < line.length && isWordChar(line[i]) && !(inSection && line[i] === RBRACKET); i++) {
      if (line[i] !== LBRACKET) continue;
      const name = line.toString('latin1', start, i).toUpperCase();
      if (SECTION_NAMES.has(name)) {
        this.open(RBRACKET, name);
        return i + 1;
      }
    }
    if (i === first) throw new ImapSyntaxError(`unexpected character at column ${i + 1}`);
    this.push({ type: 'atom', value: line.toString('latin1', start, i) });
    return i;
  }

  private open(close: number, name: string): void {
    if (this.frames.length > this.maxDepth) throw new ImapSyntaxError('brackets nested too deeply');
    this.frames.push({ close, items: [], name });
    this.position = 'open';
  }

  private close(line: Buffer, i: number): number {
    const frame = this.frames.pop() as Frame;
    if (frame.close === RPAREN) {
      this.push({ type: 'list', items: frame.items });
      return i + 1;
    }
    if (line[i + 1] !== LESS) {
      this.push({ type: 'fetchatt', value: frame.name, section: frame.items });
      return i + 1;
    }
    // <origin.length>: 64-bit in RFC 9051, held here as far as a JS number is exact.
    const m = /^<(\d{1,15})\.(\d{1,15})>/.exec(line.toString('latin1', i + 1, i + 36));
    if (!m || Number(m[2]) === 0) throw new ImapSyntaxError('invalid partial range, expected <origin.length>');
    this.push({ type: 'fetchatt', value: frame.name, section: frame.items, partial: { start: Number(m[1]), length: Number(m[2]) } });
    return i + 1 + m[0].length;
  }

  private push(token: Token): void {
    this.top().items.push(token);
    this.position = 'after';
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1];
  }
}
