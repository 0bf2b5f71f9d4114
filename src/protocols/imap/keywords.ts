import { normalizeKeyword } from '../../services/mail/keywords.ts';
import { atom, type Atom } from './data.ts';

// JMAP keyword → IMAP system flag.
const SYSTEM: Record<string, string> = {
  $seen: '\\Seen',
  $flagged: '\\Flagged',
  $answered: '\\Answered',
  $draft: '\\Draft',
  $deleted: '\\Deleted',
};

/** What FLAGS and PERMANENTFLAGS list as always available; any other keyword may be added too (\*). */
export const SYSTEM_FLAGS = Object.values(SYSTEM);

/** Stored keywords as the flags IMAP shows. */
export function flagAtoms(keywords: readonly string[]): Atom[] {
  return keywords.map((k) => atom(SYSTEM[k] ?? k));
}

/** Flags a client sent, as keywords; \Recent cannot be set by a client (RFC 3501 §2.3.2) and is ignored. */
export function keywordsOf(flags: string[]): string[] {
  return [...new Set(flags.filter((f) => f.toLowerCase() !== '\\recent').map((f) => normalizeKeyword(f, 'flags')))].sort();
}
