import { decodeWords, rawValue, scanHeaders, unfold } from './headers.ts';
import type { MimePart } from './types.ts';

/** A top-level header field as searched: lower-case name, value unfolded with RFC 2047 words decoded. */
export interface HeaderText {
  name: string;
  text: string;
}

// Real header blocks are a few KB; searching reads no further into a hostile one than this.
const MAX_HEADER_BYTES = 256 * 1024;

/** How many leading bytes of a message headerTexts() looks at. */
export function headerSpan(root: MimePart): number {
  return Math.min(root.headerEnd, MAX_HEADER_BYTES);
}

/**
 * The top-level header fields of a message (those named in `only`, if given), from its first
 * headerSpan() bytes: the whole message or just those bytes give the same answer, so indexing and
 * verifying a search agree.
 */
export function headerTexts(raw: Buffer, root: MimePart, only?: Set<string>): HeaderText[] {
  const hint = root.params['charset'];
  const fields = scanHeaders(raw, 0, Math.min(headerSpan(root), raw.length)).fields;
  return fields
    .filter((f) => !only || only.has(f.lowerName))
    .map((f) => ({ name: f.lowerName, text: decodeWords(unfold(rawValue(raw, f, hint))) }));
}
