import { normalizeKeyword } from '../../mail/keywords.ts';

/**
 * IMAP flags as keywords: system flags map to their JMAP names, \Recent is the server's own
 * business and dropped, and a flag no keyword can hold is skipped rather than failing the sync.
 */
export function keywordsFromFlags(flags: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const f of flags) {
    if (f.toLowerCase() === '\\recent') continue;
    try {
      out.add(normalizeKeyword(f));
    } catch {
      // e.g. a server-specific flag with characters JMAP keywords forbid
    }
  }
  return [...out].sort();
}
