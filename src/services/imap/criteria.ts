/**
 * IMAP SEARCH criteria as the service evaluates them (RFC 9051 §6.4.4). The IMAP grammar parses
 * into this same shape; sets stay unresolved because only the selected mailbox knows what
 * message numbers and "*" mean.
 */
export type SetNumber = number | '*';
export type MessageSet = { from: SetNumber; to: SetNumber }[] | '$';

export type Criteria =
  | { op: 'all' }
  | { op: 'and'; keys: Criteria[] }
  | { op: 'or'; a: Criteria; b: Criteria }
  | { op: 'not'; key: Criteria }
  | { op: 'seq'; set: MessageSet }
  | { op: 'uid'; set: MessageSet }
  /** System flags in their canonical case (\Answered), keywords as sent; RECENT, NEW and OLD use \Recent. */
  | { op: 'flag'; flag: string; set: boolean }
  /** `date` is 'YYYY-MM-DD'. */
  | { op: 'date'; field: 'internal' | 'sent'; cmp: 'before' | 'on' | 'since'; date: string }
  | { op: 'size'; cmp: 'larger' | 'smaller'; size: number }
  | { op: 'text'; field: 'text' | 'body' | 'subject' | 'from' | 'to' | 'cc' | 'bcc'; value: string }
  | { op: 'header'; name: string; value: string }
  | { op: 'modseq'; modseq: number }
  | { op: 'emailid'; id: string }
  | { op: 'threadid'; id: string }
  | { op: 'older' | 'younger'; seconds: number };

/** The [low, high] UID or number ranges of a set, "*" being `star`; the saved result stands for `saved`. */
export function ranges(set: MessageSet, star: number, saved: number[]): [number, number][] {
  if (set === '$') return saved.map((n) => [n, n]);
  return set.map(({ from, to }) => {
    const a = from === '*' ? star : from;
    const b = to === '*' ? star : to;
    return a <= b ? [a, b] : [b, a];
  });
}

export function inRanges(n: number, rs: [number, number][]): boolean {
  return rs.some(([lo, hi]) => n >= lo && n <= hi);
}
