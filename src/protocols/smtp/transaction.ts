import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { AcceptedRecipient } from '../../services/delivery/delivery.ts';

/**
 * What our handlers learned during one mail transaction, kept beside smtp-server's session
 * (which it reuses across transactions). smtp-server replaces a repeated RCPT in place, keyed
 * by the lower-cased address; keying the same way keeps both lists aligned.
 */
interface Transaction {
  sender: string;
  recipients: Map<string, AcceptedRecipient>;
}

const transactions = new WeakMap<SMTPServerSession, Transaction>();

const keyOf = (address: SMTPServerAddress) => address.address.toLowerCase();

/** MAIL FROM starts a transaction; RSET and the end of DATA are followed by a new MAIL. */
export function beginTransaction(session: SMTPServerSession, sender: string): void {
  transactions.set(session, { sender, recipients: new Map() });
}

export function addRecipient(session: SMTPServerSession, address: SMTPServerAddress, accepted: AcceptedRecipient): void {
  transactions.get(session)?.recipients.set(keyOf(address), accepted);
}

export function isRepeatedRecipient(session: SMTPServerSession, address: SMTPServerAddress): boolean {
  return transactions.get(session)?.recipients.has(keyOf(address)) ?? false;
}

export function senderOf(session: SMTPServerSession): string {
  return transactions.get(session)?.sender ?? '';
}

/** Accepted recipients in RCPT order, as LMTP must answer them. */
export function recipientsOf(session: SMTPServerSession): (AcceptedRecipient | undefined)[] {
  const recipients = transactions.get(session)?.recipients;
  return session.envelope.rcptTo.map((r) => recipients?.get(keyOf(r)));
}
