import type { EmailAddress } from '../../mime/types.ts';
import { baseSubject } from './base-subject.ts';
import { collationKey } from './collation.ts';
import { sentDate } from './sent-date.ts';

export { baseSubject };

export interface SortMessage {
  uid: number;
  /** Epoch ms. */
  internalDate: number;
  /** The Date header in epoch ms, or null when missing or unparsable. */
  sentDate: number | null;
  size: number;
  /** Decoded (RFC 2047) as stored. */
  subject: string | null;
  from: EmailAddress[];
  to: EmailAddress[];
  cc: EmailAddress[];
}

/** RFC 5256 §3 sort keys, and RFC 5957's DISPLAYFROM and DISPLAYTO. */
export type SortCriterion = { key: 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO'; reverse: boolean };

/** [IMAP] addr-mailbox of the first address: its local part. A missing header sorts as "". */
function mailbox(addresses: EmailAddress[]): string {
  const email = addresses[0]?.email ?? '';
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}

/** RFC 5957 §3: the first address's display name, or its addr-spec when it has none. */
function displayName(addresses: EmailAddress[]): string {
  const first = addresses[0];
  return first ? first.name || first.email : '';
}

const VALUES: Record<SortCriterion['key'], (m: SortMessage) => number | string> = {
  ARRIVAL: (m) => m.internalDate,
  DATE: sentDate,
  SIZE: (m) => m.size,
  SUBJECT: (m) => baseSubject(m.subject),
  FROM: (m) => mailbox(m.from),
  TO: (m) => mailbox(m.to),
  CC: (m) => mailbox(m.cc),
  DISPLAYFROM: (m) => displayName(m.from),
  DISPLAYTO: (m) => displayName(m.to),
};

// One criterion's values are all numbers or all collation keys.
const compare = (a: number | Buffer, b: number | Buffer) => (typeof a === 'number' ? a - (b as number) : Buffer.compare(a, b as Buffer));

/**
 * The UIDs in SORT order: by each criterion in turn, then by UID. REVERSE turns its own
 * criterion round only, never the final UID order (RFC 5256 §3).
 */
export function sortMessages(messages: SortMessage[], criteria: SortCriterion[]): number[] {
  // Each value is computed once, not on every comparison: base subjects and keys cost.
  const rows = messages.map((m) => ({
    uid: m.uid,
    values: criteria.map(({ key }) => {
      const value = VALUES[key](m);
      return typeof value === 'string' ? collationKey(value) : value;
    }),
  }));
  rows.sort((a, b) => {
    for (const [i, { reverse }] of criteria.entries()) {
      const order = compare(a.values[i], b.values[i]);
      if (order !== 0) return reverse ? -order : order;
    }
    return a.uid - b.uid;
  });
  return rows.map((r) => r.uid);
}
