import assert from 'node:assert/strict';
import { ImapSyntaxError } from '../../../src/protocols/imap/errors.ts';
import { CommandReader, type Command, type ReaderEvent, type ReaderLimits, type Token } from '../../../src/protocols/imap/reader.ts';

export const LIMITS: ReaderLimits = { maxLineBytes: 200, maxLiteralBytes: 100, maxDepth: 5 };
// For tests of what the arguments mean, not of the limits.
const ROOMY: ReaderLimits = { maxLineBytes: 1 << 20, maxLiteralBytes: 1 << 20, maxDepth: 20 };

/** Every event of a byte stream fed in the given chunks. */
export function events(chunks: (string | Buffer)[], limits = LIMITS): ReaderEvent[] {
  const reader = new CommandReader(limits);
  return chunks.flatMap((c) => reader.push(typeof c === 'string' ? Buffer.from(c) : c));
}

/** The one command a complete line (literals included, as non-synchronizing) makes. */
export function command(text: string): Command {
  const out = events([`${text}\r\n`], ROOMY);
  assert.equal(out.length, 1, JSON.stringify(out));
  const [event] = out;
  assert.equal(event.kind, 'command', JSON.stringify(event));
  return (event as { command: Command }).command;
}

/** The arguments a command's text after its name makes, e.g. args('1:* (FLAGS)'). */
export const args = (text: string): Token[] => command(`A X ${text}`).args;

export const atom = (value: string): Token => ({ type: 'atom', value });
export const str = (value: string): Token => ({ type: 'string', value: Buffer.from(value) });
export const lit = (value: string | Buffer, binary = false): Token => ({ type: 'literal', value: Buffer.from(value), binary });
export const list = (...items: Token[]): Token => ({ type: 'list', items });

export function rejects(fn: () => unknown, code?: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ImapSyntaxError && err.code === code);
}
