import type { Db } from '../../store/db/connect.ts';
import { directoryRepo } from '../../store/repos/directory.ts';

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
