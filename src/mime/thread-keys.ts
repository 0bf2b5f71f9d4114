import { decodeWords } from './headers.ts';

// RFC 5256 only knows "re", "fw" and "fwd"; the others are what localized clients write
// (Outlook's "AW"/"WG", Scandinavian "SV"/"VS", Dutch "Antw", Italian "R"/"Rif", ...).
// Longer words first so "fwd" wins over "fw".
const REFWD_WORDS = [
  'antw', 'fwd', 'odp', 'res', 'rif', 'ynt', 'enc', 'aw', 'fw', 'wg', 'sv', 'vs', 'tr', 're',
  '回复', '答复', '转发', '回覆', '轉寄', '返信', '転送',
];

const MAX_SUBJECT = 2048;

function isWsp(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** End of `subj-blob` ("[" *BLOBCHAR "]" *WSP) starting at i, or -1. */
function blobEnd(s: string, i: number): number {
  if (s[i] !== '[') return -1;
  let j = i + 1;
  while (j < s.length && s[j] !== ']' && s[j] !== '[') j++;
  if (s[j] !== ']') return -1;
  j++;
  while (isWsp(s[j])) j++;
  return j;
}

/** End of `*subj-blob subj-refwd` at the start of s, or -1. */
function leaderEnd(s: string, lower: string): number {
  let i = 0;
  for (let b = blobEnd(s, i); b >= 0; b = blobEnd(s, i)) i = b;
  for (const word of REFWD_WORDS) {
    if (!lower.startsWith(word, i)) continue;
    let j = i + word.length;
    while (isWsp(s[j])) j++;
    const b = blobEnd(s, j);
    if (b >= 0) j = b;
    if (s[j] === ':' || s[j] === '：') return j + 1;
  }
  return -1;
}

interface Extracted {
  base: string;
  refwd: boolean;
}

/** RFC 5256 §2.1 base subject extraction; `refwd` tells whether a reply/forward marker was removed. */
function extract(subject: string | null): Extracted {
  if (!subject) return { base: '', refwd: false };
  let s = decodeWords(subject);
  // The loops below re-slice the string; a bound keeps "Re: " x 100000 from going quadratic.
  if (s.length > MAX_SUBJECT) s = s.slice(0, MAX_SUBJECT);
  s = s.replace(/\s+/g, ' ');
  let refwd = false;
  for (;;) {
    // (2) trailers: "(fwd)" and whitespace
    for (;;) {
      if (s.endsWith(' ')) s = s.slice(0, -1);
      else if (s.toLowerCase().endsWith('(fwd)')) {
        s = s.slice(0, -5);
        refwd = true;
      } else break;
    }
    // (3) and (4) until nothing changes
    for (;;) {
      const before = s;
      for (;;) {
        if (s.startsWith(' ')) {
          s = s.slice(1);
          continue;
        }
        const e = leaderEnd(s, s.toLowerCase());
        if (e < 0) break;
        s = s.slice(e);
        refwd = true;
      }
      const b = blobEnd(s, 0);
      if (b >= 0 && s.slice(b).trim() !== '') s = s.slice(b);
      if (s === before) break;
    }
    // (5) "[fwd: ...]" wrapper
    if (s.toLowerCase().startsWith('[fwd:') && s.endsWith(']')) {
      s = s.slice(5, -1);
      refwd = true;
      continue;
    }
    break;
  }
  return { base: s.trim().toLowerCase(), refwd };
}

/** Base subject for threading (RFC 5256 §2.1), whitespace-collapsed and lower-cased. */
export function normalizeSubject(s: string | null): string {
  return extract(s).base;
}

/** True when the subject carries a reply or forward marker (Re:, Fwd:, "(fwd)", "[Fwd: ...]"). */
export function isReplyOrForward(s: string | null): boolean {
  return extract(s).refwd;
}
