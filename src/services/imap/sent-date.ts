interface Dated {
  uid: number;
  sentDate: number | null;
  internalDate: number;
}

/** RFC 5256 §2.2: the Date header's time, or INTERNALDATE when there is none that parses. */
export function sentDate(m: Omit<Dated, 'uid'>): number {
  return m.sentDate ?? m.internalDate;
}

/** Earlier sent date first; equal dates in mailbox order, which UIDs follow (RFC 5256 §2.2). */
export function bySentDate(a: Dated, b: Dated): number {
  return sentDate(a) - sentDate(b) || a.uid - b.uid;
}
