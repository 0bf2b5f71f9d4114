/**
 * RFC 5256 §2.1 base subject extraction, to the letter: servers and disconnected clients must
 * agree on it, so unlike mime/thread-keys.ts (JMAP threads) it knows no localized "AW:"/"SV:"
 * prefixes. The text is scanned by index rather than re-sliced, so a subject of a thousand
 * "Re: " or "[x]" stays linear.
 */
export interface BaseSubject {
  /** The base subject in its original case; compare it case-insensitively. */
  text: string;
  /** A subj-refwd, a "(fwd)" trailer or a "[fwd: …]" wrapper was removed (REFERENCES step 5). */
  replyOrForward: boolean;
}

function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && s[i] === ' ') i++;
  return i;
}

const startsWithAt = (s: string, i: number, end: number, word: string) => end - i >= word.length && s.slice(i, i + word.length).toLowerCase() === word;

/** End of the subj-blob ("[" *BLOBCHAR "]" *WSP) at i, or -1. */
function blobEnd(s: string, i: number, end: number): number {
  if (i >= end || s[i] !== '[') return -1;
  let j = i + 1;
  while (j < end && s[j] !== '[' && s[j] !== ']') j++;
  return j < end && s[j] === ']' ? skipSpaces(s, j + 1, end) : -1;
}

/** End of the subj-refwd (("re" / "fw" ["d"]) *WSP [subj-blob] ":") at i, or -1. */
function refwdEnd(s: string, i: number, end: number): number {
  // "fw" cannot match where "fwd" failed: its next character would be "d", not WSP, "[" or ":".
  const word = ['re', 'fwd', 'fw'].find((w) => startsWithAt(s, i, end, w));
  if (word === undefined) return -1;
  let j = skipSpaces(s, i + word.length, end);
  const blob = blobEnd(s, j, end);
  if (blob >= 0) j = blob;
  return j < end && s[j] === ':' ? j + 1 : -1;
}

export function extractBaseSubject(subject: string | null): BaseSubject {
  // (1) RFC 2047 words were decoded when the message was stored; folding and tabs remain.
  const s = (subject ?? '').replace(/[ \t\r\n]+/g, ' ');
  let start = 0;
  let end = s.length;
  let replyOrForward = false;
  for (;;) {
    // (2) subj-trailer: "(fwd)" or WSP. From here on s[end - 1] is never a space.
    for (;;) {
      if (end > start && s[end - 1] === ' ') end--;
      else if (end - start >= 5 && startsWithAt(s, end - 5, end, '(fwd)')) {
        end -= 5;
        replyOrForward = true;
      } else break;
    }
    // (3), (4) and (5): leaders, then a blob, until neither is left.
    for (;;) {
      start = skipSpaces(s, start, end);
      let run = start;
      let lastBlob = start;
      for (let b = blobEnd(s, run, end); b >= 0; b = blobEnd(s, run, end)) {
        lastBlob = run;
        run = b;
      }
      const leader = refwdEnd(s, run, end);
      if (leader >= 0) {
        start = leader;
        replyOrForward = true;
        continue;
      }
      // (4) would drop these blobs one per round, each time finding no leader at `run` again,
      // until the last one, which stays if nothing follows it: take all those rounds at once.
      start = run < end ? run : lastBlob;
      break;
    }
    // (6) subj-fwd-hdr and subj-fwd-trl, then again from (2).
    if (startsWithAt(s, start, end, '[fwd:') && s[end - 1] === ']') {
      start += 5;
      end -= 1;
      replyOrForward = true;
      continue;
    }
    return { text: s.slice(start, end), replyOrForward };
  }
}

/** The base subject (RFC 5256 §2.1) that SUBJECT sorts on and threads are grouped by. */
export function baseSubject(subject: string | null): string {
  return extractBaseSubject(subject).text;
}
