import type { MailboxRow } from '../../store/db/schema.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import type { MailboxService } from '../mail/mailboxes.ts';

/** The hierarchy delimiter of IMAP names; mailbox names themselves may not contain it. */
export const DELIMITER = '/';

/** A mailbox as IMAP names and describes it. */
export interface Folder {
  id: string;
  /** The full IMAP name: parent names joined by "/", the inbox always "INBOX". */
  path: string;
  role: string | null;
  subscribed: boolean;
  hasChildren: boolean;
  row: MailboxRow;
}

// RFC 6154 attributes of the JMAP roles that have one.
const SPECIAL_USE: Record<string, string> = {
  drafts: '\\Drafts',
  sent: '\\Sent',
  junk: '\\Junk',
  trash: '\\Trash',
  archive: '\\Archive',
  all: '\\All',
  flagged: '\\Flagged',
  important: '\\Important',
};

export function specialUse(role: string | null): string | null {
  return role ? (SPECIAL_USE[role] ?? null) : null;
}

/** INBOX is case-insensitive in every position it can take (RFC 9051 §5.1). */
function canonical(path: string): string {
  const [first, ...rest] = path.split(DELIMITER);
  return first.toUpperCase() === 'INBOX' ? ['INBOX', ...rest].join(DELIMITER) : path;
}

/** The account's mailboxes under their IMAP names, and changes to the tree made by name. */
export class ImapFolders {
  constructor(
    private readonly store: Store,
    private readonly mailboxes: MailboxService,
  ) {}

  async list(accountId: string): Promise<Folder[]> {
    const rows = await mailRepo.mailboxes(this.store.db, accountId);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const parents = new Set(rows.map((r) => r.parent_id));
    const pathOf = (row: MailboxRow): string => {
      const names: string[] = [];
      for (let cur: MailboxRow | undefined = row, depth = 0; cur && depth < 64; depth++) {
        names.unshift(cur.role === 'inbox' && !cur.parent_id ? 'INBOX' : cur.name);
        cur = cur.parent_id ? byId.get(cur.parent_id) : undefined;
      }
      return names.join(DELIMITER);
    };
    return rows
      .map((row) => ({ id: row.id, path: pathOf(row), role: row.role, subscribed: row.subscribed === 1, hasChildren: parents.has(row.id), row }))
      .sort((a, b) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async find(accountId: string, path: string): Promise<Folder | null> {
    const wanted = canonical(path);
    return (await this.list(accountId)).find((f) => f.path === wanted) ?? null;
  }

  async get(accountId: string, path: string): Promise<Folder> {
    const folder = await this.find(accountId, path);
    if (!folder) throw notFound(`mailbox ${path}`);
    return folder;
  }

  /** CREATE: missing parents are created too (RFC 9051 §6.3.4); a trailing delimiter is ignored. */
  async create(accountId: string, path: string): Promise<Folder> {
    const names = canonical(path.endsWith(DELIMITER) ? path.slice(0, -1) : path).split(DELIMITER);
    if (names.some((n) => n.length === 0)) throw invalid('mailbox', 'has an empty level');
    const folders = await this.list(accountId);
    if (folders.some((f) => f.path === names.join(DELIMITER))) throw conflict(`mailbox ${path} already exists`);
    let parentId: string | null = null;
    for (let i = 0; i < names.length; i++) {
      const prefix = names.slice(0, i + 1).join(DELIMITER);
      const existing = folders.find((f) => f.path === prefix);
      parentId = existing ? existing.id : (await this.mailboxes.create(accountId, { name: names[i], parentId })).id;
    }
    return this.get(accountId, names.join(DELIMITER));
  }

  /** RENAME: the mailbox takes its new place and name; its children come along (they hang off its id). */
  async rename(accountId: string, from: string, to: string): Promise<void> {
    const folder = await this.get(accountId, from);
    if (folder.path === 'INBOX') throw new ServiceError('forbidden', 'renaming INBOX is not supported; create a mailbox and MOVE the messages');
    const target = canonical(to).split(DELIMITER);
    if (await this.find(accountId, target.join(DELIMITER))) throw conflict(`mailbox ${to} already exists`);
    const parentPath = target.slice(0, -1).join(DELIMITER);
    const parent = parentPath ? ((await this.find(accountId, parentPath)) ?? (await this.create(accountId, parentPath))) : null;
    await this.mailboxes.update(accountId, folder.id, { name: target[target.length - 1], parentId: parent?.id ?? null });
  }

  /** DELETE: refused for INBOX and for a mailbox with children (it would otherwise have to linger as \Noselect). */
  async delete(accountId: string, path: string): Promise<void> {
    await this.mailboxes.delete(accountId, (await this.get(accountId, path)).id);
  }

  /** Unsubscribing a name that is not subscribed (or not there) is fine (RFC 9051 §6.3.8). */
  async subscribe(accountId: string, path: string, subscribed: boolean): Promise<void> {
    const folder = subscribed ? await this.get(accountId, path) : await this.find(accountId, path);
    if (folder && folder.subscribed !== subscribed) await this.mailboxes.update(accountId, folder.id, { subscribed });
  }
}
