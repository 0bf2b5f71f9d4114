import type { Db } from '../../store/db/connect.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { remoteRepo } from '../../store/repos/remote.ts';

/**
 * The address as the principal may send from it (JMAP identities, SMTP submission, JMAP
 * EmailSubmission): one of their addresses, or any address of a domain they hold a `*@domain`
 * wildcard for, or that wildcard itself; then the same for the addresses an administrator
 * allows them to send as (`allowed_senders`). Null when it is neither. The one rule for "who may
 * send as whom".
 */
export async function ownedAddress(db: Db, principalId: string, email: string): Promise<string | null> {
  const lower = email.toLowerCase();
  const wildcard = `*@${lower.slice(lower.lastIndexOf('@') + 1)}`;
  const addresses = await directoryRepo.addressesOf(db, [principalId]);
  const exact = addresses.find((a) => a.address === lower);
  if (exact) return exact.display;
  if (addresses.some((a) => a.address === wildcard)) return email;
  const allowed = await directoryRepo.allowedSendersOf(db, principalId);
  if (allowed.some((a) => a.address === lower || a.address === wildcard)) return email;
  return null;
}

/** How mail from an address leaves: from this server, or through a mirrored account's own submission server. */
export type SenderRoute = { via: 'local'; address: string } | { via: 'account'; accountId: string; address: string } | { via: 'refused'; reason: string };

const hasOutgoingServer = (settingsJson: string) => (JSON.parse(settingsJson) as { smtp?: unknown }).smtp != null;

/**
 * Who may send as whom, per account: a mirrored IMAP account sends only as its own address and
 * only through its upstream submission server (DESIGN.md §6); a local account sends as what
 * ownedAddress allows, or as the address of one of the principal's mirrored accounts with an
 * outgoing server, so a mail client submitting to Gannet with that From reaches the provider.
 */
export async function senderRoute(db: Db, principalId: string, accountId: string, email: string): Promise<SenderRoute> {
  const lower = email.toLowerCase();
  const mirrored = (await remoteRepo.list(db, principalId)).filter((r) => r.protocol === 'imap');
  const acting = mirrored.find((r) => r.account_id === accountId);
  if (acting) {
    if (acting.email.toLowerCase() !== lower) return { via: 'refused', reason: `the account ${acting.email} can only send as ${acting.email}` };
    if (!hasOutgoingServer(acting.settings_json)) return { via: 'refused', reason: `the account ${acting.email} has no outgoing (SMTP) server configured` };
    return { via: 'account', accountId, address: acting.email };
  }
  const owned = await ownedAddress(db, principalId, email);
  if (owned !== null) return { via: 'local', address: owned };
  const other = mirrored.find((r) => r.email.toLowerCase() === lower);
  if (!other) return { via: 'refused', reason: `<${email}> is not an address of this user` };
  if (!hasOutgoingServer(other.settings_json)) return { via: 'refused', reason: `the account ${other.email} has no outgoing (SMTP) server configured` };
  return { via: 'account', accountId: other.account_id, address: other.email };
}
