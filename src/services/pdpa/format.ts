import { normalizeKeyword } from '../mail/keywords.ts';

/** The version string archive.json carries; importers check only that one is present. */
export const PDPA_VERSION = 'PDPA v1.0';
export const GENERATOR = 'Gannet';

/** One message of a folder.json `items` list. */
export interface FolderItem {
  uid: string;
  filename: string;
  /** IMAP flags and keywords, as the seed specifies (`\Seen`, `$Forwarded`…). */
  flags: string[];
  /** Gannet extension (the draft has no field for it): the IMAP INTERNALDATE, ISO 8601 UTC. */
  internal_date: string;
  size: number;
}

export interface FolderJson {
  name: string;
  uid: string;
  uidvalidity: number;
  last_uid: number;
  is_subscribed: boolean;
  sort_order: number;
  /** RFC 6154 spelling (`\Sent`) as the draft's schema asks; absent for the inbox, which has none. */
  special_use?: string;
  /** JMAP role (RFC 8621), so the inbox is recognisable too; the draft's examples use it. */
  role?: string;
  items: FolderItem[];
}

const TO_IMAP: Record<string, string> = {
  $seen: '\\Seen',
  $flagged: '\\Flagged',
  $answered: '\\Answered',
  $draft: '\\Draft',
  $deleted: '\\Deleted',
};

export const keywordToFlag = (k: string): string => TO_IMAP[k] ?? k;

/**
 * Flags back to keywords. \Recent is server-managed and dropped; the draft's own examples write
 * `$seen` where the seed writes `\Seen`, so both spellings are accepted. Throws ServiceError
 * invalid for a flag no face of Gannet could store.
 */
export function flagsToKeywords(flags: string[], field: string): string[] {
  const out = new Set<string>();
  for (const f of flags) {
    if (f.toLowerCase() === '\\recent') continue;
    out.add(normalizeKeyword(f, field));
  }
  return [...out].sort();
}

const ROLE_OF_SPECIAL_USE: Record<string, string> = {
  inbox: 'inbox',
  drafts: 'drafts',
  sent: 'sent',
  junk: 'junk',
  trash: 'trash',
  archive: 'archive',
  all: 'all',
  flagged: 'flagged',
  important: 'important',
};

export const specialUseOf = (role: string): string => `\\${role[0].toUpperCase()}${role.slice(1)}`;

/** A JMAP role from `role` or `special_use` in either spelling; unknown uses are ignored. */
export function roleOf(role: unknown, specialUse: unknown): string | null {
  for (const v of [role, specialUse]) {
    if (typeof v !== 'string') continue;
    const r = ROLE_OF_SPECIAL_USE[v.replace(/^\\/, '').toLowerCase()];
    if (r) return r;
  }
  return null;
}

/**
 * A mailbox name as a path segment. Names may hold characters that are path syntax elsewhere
 * (`\`, `:`) or that an unzip tool would read as a file of ours (`1.eml`, `folder.json`), so those
 * are percent-encoded; the real name travels in folder.json, so the encoding never needs undoing.
 */
export function segmentOf(name: string): string {
  const seg = name.replace(/[%\\:*?"<>|\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  if (seg === 'folder.json' || /\.eml$/i.test(seg) || seg.startsWith('.')) {
    return `%${seg.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${seg.slice(1)}`;
  }
  return seg;
}
