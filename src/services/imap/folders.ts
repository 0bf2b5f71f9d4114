import type { MailboxRow } from '../../store/db/schema.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import type { MessageService } from '../mail/messages.ts';

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
    private readonly messages: MessageService,
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
    const target = canonical(to).split(DELIMITER);
    if (await this.find(accountId, target.join(DELIMITER))) throw conflict(`mailbox ${to} already exists`);
    if (folder.path === 'INBOX') return this.renameInbox(accountId, folder, target.join(DELIMITER));
    const parentPath = target.slice(0, -1).join(DELIMITER);
    const parent = parentPath ? ((await this.find(accountId, parentPath)) ?? (await this.create(accountId, parentPath))) : null;
    await this.mailboxes.update(accountId, folder.id, { name: target[target.length - 1], parentId: parent?.id ?? null });
  }

  /**
   * RENAME INBOX (RFC 9051 §6.3.6, RFC 3501 §6.3.5): its messages move to a new mailbox of that
   * name, keeping their email ids as MOVE does and taking new UIDs there; INBOX itself stays,
   * empty, with its UIDVALIDITY, and so do its children. A mirrored account does the same
   * upstream (CREATE, then a UID MOVE per message) rather than sending RENAME INBOX: the server
   * would give the moved mail new UIDs without telling which, so the next sync could only see
   * the inbox emptied and a folder of unknown mail, and the mirrored emails would lose their ids.
   * Mail the mirror does not hold (left out by its sync limits) stays in the upstream INBOX.
   */
  private async renameInbox(accountId: string, inbox: Folder, path: string): Promise<void> {
    const made = await this.create(accountId, path);
    try {
      await this.messages.moveAll(accountId, inbox.id, made.id);
    } catch (err) {
      // Chunks already moved stay moved: say where they are, or a retry would only meet ALREADYEXISTS.
      if (err instanceof ServiceError) throw new ServiceError(err.code, `${err.message} (the messages moved so far are in ${made.path}; the rest are still in INBOX)`, err.fields);
      throw err;
    }
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
