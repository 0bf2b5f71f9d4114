import { CommandParser, readTag } from './command-parser.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Command } from './tokens.ts';

export type { Command, PartialRange, Token } from './tokens.ts';

export interface ReaderLimits {
  /** The command's text, all its lines together, without literal data and line ends. */
  maxLineBytes: number;
  /** The literal data of one command, all its literals together. */
  maxLiteralBytes: number;
  /** Open brackets (lists and sections) at once. */
  maxDepth: number;
}

export type ReaderEvent =
  | { kind: 'command'; command: Command }
  /**
   * A synchronizing literal within the limits was announced: the client now waits for "+ ...".
   * `command` is the command so far (its arguments before the literal) and `size` the literal's,
   * so the session may answer at once instead, and call refuseLiteral().
   */
  | { kind: 'continue'; command: Command; size: number }
  /** After expectRawLine(): the next whole line, line end stripped. */
  | { kind: 'raw'; line: string }
  /** BAD with the tag when known; fatal when the stream cannot be resynchronised. */
  | { kind: 'error'; tag: string | null; message: string; code?: 'TOOBIG'; fatal: boolean };

interface Failure {
  tag: string | null;
  message: string;
  code?: 'TOOBIG';
}

interface LiteralMarker {
  /** Where "{" (or the "~" of "~{") stands in the line. */
  start: number;
  /** Infinity when the count is beyond what can be counted down exactly. */
  size: number;
  sync: boolean;
  binary: boolean;
}

interface Literal {
  size: number;
  filled: number;
  /** Null when the literal is skipped. */
  data: Buffer | null;
  binary: boolean;
}

interface Overlong {
  tag: string | null;
  /** Only the line's tail was kept. */
  truncated: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
// What is kept of an over-long line: enough to see a literal announcement at its end.
const TAIL = 64;

/**
 * A literal announced at the end of a line: "{n}", "{n+}", "~{n}" or "~{n+}". RFC 7888 has the
 * server look for one at the end of every line, whatever came before it, so that even a command
 * it rejects can be skipped whole. `truncated`: only the line's tail is at hand, so a run of
 * digits reaching its start may be the end of an endless count.
 */
function literalMarker(line: Buffer, truncated: boolean): LiteralMarker | null {
  let i = line.length - 1;
  if (line[i] !== 0x7d) return null;
  const sync = line[--i] !== 0x2b;
  if (!sync) i--;
  const digitsEnd = i + 1;
  while (i >= 0 && line[i] >= 0x30 && line[i] <= 0x39) i--;
  const digits = digitsEnd - i - 1;
  if (i < 0) return truncated && digits > 0 ? { start: 0, size: Infinity, sync, binary: false } : null;
  if (digits === 0 || line[i] !== 0x7b) return null;
  const count = digits > 16 ? Infinity : Number(line.toString('latin1', i + 1, digitsEnd));
  const binary = line[i - 1] === 0x7e;
  return { start: binary ? i - 1 : i, size: Number.isSafeInteger(count) ? count : Infinity, sync, binary };
}

function errorEvent(failure: Failure, fatal: boolean): ReaderEvent {
  return { kind: 'error', tag: failure.tag, message: failure.message, ...(failure.code && { code: failure.code }), fatal };
}

/**
 * Splits the client's byte stream into commands, holding one command at most (its lines and its
 * literals, each bounded by the limits). A command is given out only once it is complete.
 */
export class CommandReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The line being read went over the limit. */
  private overlong: Overlong | null = null;
  private parser: CommandParser;
  /** No line of the current command has been read yet. */
  private fresh = true;
  private lineRoom: number;
  private literalRoom: number;
  private literal: Literal | null = null;
  /** The current command was rejected: the rest of it is skipped, then this is reported. */
  private failure: Failure | null = null;
  private rawNext = false;
  /** The last event was 'continue' and no byte has come since: refuseLiteral() may drop the command. */
  private invited = false;
  private closed = false;

  constructor(private readonly limits: ReaderLimits) {
    this.parser = new CommandParser(limits.maxDepth);
    this.lineRoom = limits.maxLineBytes;
    this.literalRoom = limits.maxLiteralBytes;
  }

  /** Bytes as they arrive, split anywhere; the events they complete, in order. */
  push(chunk: Buffer): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    let at = 0;
    while (at < chunk.length && !this.closed) {
      this.invited = false;
      at = this.literal ? this.readLiteral(this.literal, chunk, at) : this.readLine(chunk, at, events);
    }
    return events;
  }

  /**
   * The next line that starts a command is given out whole as {kind: 'raw'}: an AUTHENTICATE
   * response or IDLE's DONE. Call it before sending the continuation that invites the line.
   */
  expectRawLine(): void {
    this.rawNext = true;
  }

  /**
   * After a 'continue' event, when the session answered the command (BAD for an unknown command,
   * NO [TRYCREATE] for an APPEND to no mailbox, …) rather than inviting the literal: the client
   * will not send it, so the command is dropped and the next line starts a new one.
   */
  refuseLiteral(): void {
    if (!this.invited) return;
    this.invited = false;
    this.literal = null;
    this.reset();
  }

  private readLine(chunk: Buffer, at: number, events: ReaderEvent[]): number {
    const lf = chunk.indexOf(LF, at);
    this.append(chunk.subarray(at, lf < 0 ? chunk.length : lf));
    if (lf < 0) return chunk.length;
    let line = Buffer.concat(this.pending, this.pendingBytes);
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    if (!this.overlong && line.length > this.lineRoom) this.overlong = { tag: this.tagOf(line), truncated: false };
    const overlong = this.overlong;
    this.pending = [];
    this.pendingBytes = 0;
    this.overlong = null;
    this.endLine(line, overlong, events);
    return lf + 1;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    // Copied: a slice would keep the whole socket chunk alive.
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
    // One byte of slack for the CR of a CRLF split from its LF.
    if (this.pendingBytes <= this.lineRoom + 1) return;
    const line = Buffer.concat(this.pending, this.pendingBytes);
    this.overlong ??= { tag: this.tagOf(line), truncated: true };
    this.pending = [Buffer.from(line.subarray(-TAIL))];
    this.pendingBytes = this.pending[0].length;
  }

  private tagOf(firstLine: Buffer): string | null {
    return this.fresh ? readTag(firstLine) : this.parser.tag;
  }

  private endLine(line: Buffer, overlong: Overlong | null, events: ReaderEvent[]): void {
    if (this.fresh && this.rawNext) {
      this.rawNext = false;
      events.push(overlong ? errorEvent({ tag: null, message: 'line too long' }, false) : { kind: 'raw', line: line.toString('utf8') });
      return;
    }
    this.fresh = false;
    const marker = literalMarker(line, overlong?.truncated ?? false);
    if (overlong) this.fail({ tag: overlong.tag, message: 'command line too long' });
    else if (!this.failure) this.parse(marker ? line.subarray(0, marker.start) : line, marker !== null);
    if (!marker) return this.finish(events);
    if (!this.failure && marker.size > this.literalRoom) {
      const limit = this.limits.maxLiteralBytes;
      this.fail({ tag: this.parser.tag, message: `literal over the limit of ${limit} octets`, code: 'TOOBIG' });
    }
    // A client announcing a synchronizing literal waits for "+": refused, the command is over.
    if (marker.sync && this.failure) return this.finish(events);
    if (marker.size === Infinity) {
      events.push(errorEvent({ tag: this.failure?.tag ?? this.parser.tag, message: 'literal size out of range' }, true));
      this.closed = true;
      return;
    }
    if (marker.sync) events.push({ kind: 'continue', command: this.parser.soFar(), size: marker.size });
    this.startLiteral(marker);
    this.invited = marker.sync;
  }

  private parse(line: Buffer, literalNext: boolean): void {
    this.lineRoom -= line.length;
    try {
      this.parser.line(line, literalNext);
    } catch (err) {
      if (!(err instanceof ImapSyntaxError)) throw err;
      this.fail({ tag: this.parser.tag, message: err.message });
    }
  }

  private fail(failure: Failure): void {
    this.failure ??= failure;
  }

  private startLiteral(marker: LiteralMarker): void {
    // A rejected command's literal is counted through without being kept (RFC 7888 §4).
    const keep = !this.failure;
    if (keep) this.literalRoom -= marker.size;
    this.literal = { size: marker.size, filled: 0, data: keep ? Buffer.allocUnsafe(marker.size) : null, binary: marker.binary };
    if (marker.size === 0) this.endLiteral(this.literal);
  }

  private readLiteral(literal: Literal, chunk: Buffer, at: number): number {
    const n = Math.min(literal.size - literal.filled, chunk.length - at);
    literal.data?.set(chunk.subarray(at, at + n), literal.filled);
    literal.filled += n;
    if (literal.filled === literal.size) this.endLiteral(literal);
    return at + n;
  }

  private endLiteral(literal: Literal): void {
    this.literal = null;
    if (!literal.data) return;
    // literal = {n} CHAR8: NUL only travels in literal8 (RFC 9051 §9).
    if (!literal.binary && literal.data.includes(0)) this.fail({ tag: this.parser.tag, message: 'NUL in a literal; binary data needs ~{n}' });
    else this.parser.literal(literal.data, literal.binary);
  }

  /** The command's last line is in: it is given out, or its failure reported. */
  private finish(events: ReaderEvent[]): void {
    let event: ReaderEvent;
    if (this.failure) event = errorEvent(this.failure, false);
    else {
      try {
        event = { kind: 'command', command: this.parser.end() };
      } catch (err) {
        if (!(err instanceof ImapSyntaxError)) throw err;
        event = errorEvent({ tag: this.parser.tag, message: err.message }, false);
      }
    }
    events.push(event);
    this.reset();
  }

  private reset(): void {
    this.parser = new CommandParser(this.limits.maxDepth);
    this.fresh = true;
    this.failure = null;
    this.lineRoom = this.limits.maxLineBytes;
    this.literalRoom = this.limits.maxLiteralBytes;
  }
}
