import type { MimePart } from '../../src/mime/types.ts';

/** Builds a raw message from lines written with "\n", using the given line ending. */
export function eml(text: string, eol: '\r\n' | '\n' = '\r\n'): Buffer {
  return Buffer.from(text.replace(/\r?\n/g, eol), 'utf8');
}

export function body(raw: Buffer, part: MimePart): string {
  return raw.subarray(part.bodyStart, part.bodyEnd).toString('utf8');
}

export function header(raw: Buffer, part: MimePart): string {
  return raw.subarray(part.headerStart, part.headerEnd).toString('utf8');
}

/** Checks the offset invariants of a whole tree; returns the number of parts visited. */
export function checkOffsets(raw: Buffer, part: MimePart, parent: MimePart | null = null): number {
  const ok =
    part.headerStart >= 0 &&
    part.headerStart <= part.headerEnd &&
    part.headerEnd === part.bodyStart &&
    part.bodyStart <= part.bodyEnd &&
    part.bodyEnd <= raw.length;
  if (!ok) throw new Error(`bad offsets in part "${part.partId}": ${JSON.stringify(part)}`);
  if (parent && (part.headerStart < parent.bodyStart || part.bodyEnd > parent.bodyEnd)) {
    throw new Error(`part "${part.partId}" lies outside its parent "${parent.partId}"`);
  }
  let n = 1;
  for (const c of part.children) n += checkOffsets(raw, c, part);
  return n;
}

export function depthOf(part: MimePart): number {
  let d = 0;
  for (const c of part.children) d = Math.max(d, depthOf(c));
  return d + 1;
}
