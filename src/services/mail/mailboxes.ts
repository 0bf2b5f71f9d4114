import { newId } from '../../util/ids.ts';
import type { WriteContext } from '../../store/changes.ts';
import type { MailboxRow } from '../../store/db/schema.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import { uploadRepo } from '../../store/repos/uploads.ts';
import type { Store } from '../../store/store.ts';
import { checkMailboxName } from '../directory/names.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { mailboxView, type MailboxView } from './views.ts';
import type { EmailWriter } from './email-writer.ts';
import type { UpstreamGate } from '../remote/upstream-gate.ts';

export const DEFAULT_MAILBOXES: { name: string; role: string }[] = [
  { name: 'Inbox', role: 'inbox' },
  { name: 'Drafts', role: 'drafts' },
  { name: 'Sent', role: 'sent' },
  { name: 'Junk', role: 'junk' },
  { name: 'Trash', role: 'trash' },
  { name: 'Archive', role: 'archive' },
];

export const ROLES = ['inbox', 'drafts', 'sent', 'junk', 'trash', 'archive', 'all', 'flagged', 'important'] as const;

export interface MailboxCounts {
  emails: number;
  unread: number;
  threads: number;
  unreadThreads: number;
}

export interface MailboxInput {
  name?: string;
  parentId?: string | null;
  subscribed?: boolean;
  sortOrder?: number;
  role?: string | null;
}

export class MailboxService {
  private gate: UpstreamGate | null = null;

  constructor(
    private readonly store: Store,
    private readonly emails: EmailWriter,
  ) {}

  /** Mirrored accounts: their folder changes go to the upstream server first (DESIGN.md §6). */
  useUpstream(gate: UpstreamGate): void {
    this.gate = gate;
  }

  /**
   * Adds a mailbox inside a write, without the name and role checks of create(): also how a
   * mirrored account copies the folders upstream already has.
   */
  async insert(w: WriteContext, accountId: string, fields: { name: string; parentId: string; role: string | null; subscribed: boolean; sortOrder: number }): Promise<MailboxRow> {
    const id = newId('m');
    // The account's modseq only grows, so a mailbox recreated under an old name never reuses a UIDVALIDITY.
    const modseq = await w.record(accountId, 'Mailbox', id, 'c');
    const row: MailboxRow = {
      id,
      account_id: accountId,
      parent_id: fields.parentId,
      name: fields.name,
      role: fields.role,
      uidvalidity: modseq,
      uidnext: 1,
      subscribed: fields.subscribed ? 1 : 0,
      sort_order: fields.sortOrder,
      message_count: 0,
      unseen_count: 0,
      size: 0,
      created_at: Date.now(),
      updated_modseq: modseq,
      expunge_modseq: 0,
    };
    await repo.insertMailbox(w.trx, row);
    return row;
  }

  async createDefaults(w: WriteContext, accountId: string): Promise<void> {
    for (const [i, m] of DEFAULT_MAILBOXES.entries()) {
      await this.insert(w, accountId, { name: m.name, parentId: '', role: m.role, subscribed: true, sortOrder: i });
    }
  }

  async list(accountId: string): Promise<MailboxView[]> {
    const rows = await repo.mailboxes(this.store.db, accountId);
    return rows.map((r) => mailboxView(r, rows));
  }

  async get(accountId: string, id: string): Promise<MailboxView> {
    const rows = await repo.mailboxes(this.store.db, accountId);
    const row = rows.find((r) => r.id === id);
    if (!row) throw notFound(`mailbox ${id}`);
    return mailboxView(row, rows);
  }

  /**
   * What JMAP counts in each mailbox: emails and unread emails, and when asked the distinct
   * threads and unread threads, never counting emails carrying $deleted (RFC 8621 §4.1.1, ADR
   * 0015). The mailbox's own counters, which IMAP shows, count those until EXPUNGE.
   */
  async visibleCounts(accountId: string, withThreads: boolean): Promise<Map<string, MailboxCounts>> {
    const [emails, threads] = await Promise.all([repo.visibleCounts(this.store.db, accountId), withThreads ? repo.threadCounts(this.store.db, accountId) : []]);
    const byMailbox = new Map(threads.map((r) => [r.mailbox_id, r]));
    return new Map(
      emails.map((r) => {
        const t = byMailbox.get(r.id);
        return [r.id, { emails: Number(r.emails), unread: Number(r.unread), threads: Number(t?.threads ?? 0), unreadThreads: Number(t?.unread ?? 0) }];
      }),
    );
  }

  /** A mailbox named by id or by role (`inbox`, `sent`…), for routes where either is handy. */
  async resolve(accountId: string, ref: string): Promise<string> {
    const byId = await repo.mailbox(this.store.db, accountId, ref);
    if (byId) return byId.id;
    const role = ref.toLowerCase();
    const byRole = (ROLES as readonly string[]).includes(role) ? await repo.mailboxByRole(this.store.db, accountId, role) : undefined;
    if (!byRole) throw notFound(`mailbox ${ref}`);
    return byRole.id;
  }

  async byRole(accountId: string, role: string): Promise<MailboxRow> {
    const row = await repo.mailboxByRole(this.store.db, accountId, role);
    if (!row) throw notFound(`mailbox with role ${role}`);
    return row;
  }

  private checkRole(role: string | null | undefined): string | null {
    if (role === undefined || role === null) return null;
    if (!(ROLES as readonly string[]).includes(role)) throw invalid('role', `must be one of ${ROLES.join(', ')}`);
    return role;
  }

  private async checkParent(accountId: string, parentId: string | null | undefined, selfId?: string): Promise<string> {
    if (!parentId) return '';
    const rows = await repo.mailboxes(this.store.db, accountId);
    let cur = rows.find((r) => r.id === parentId);
    if (!cur) throw invalid('parentId', `mailbox ${parentId} does not exist`);
    for (let depth = 0; cur; depth++) {
      if (cur.id === selfId) throw invalid('parentId', 'a mailbox cannot be moved inside itself');
      if (depth > 30) throw invalid('parentId', 'mailboxes nest at most 32 levels deep');
      const parent: string = cur.parent_id;
      cur = parent ? rows.find((r) => r.id === parent) : undefined;
    }
    return parentId;
  }

  async create(accountId: string, input: MailboxInput): Promise<MailboxView> {
    if (input.name === undefined) throw invalid('name', 'is required');
    const name = checkMailboxName(input.name);
    const parentId = await this.checkParent(accountId, input.parentId);
    const role = this.checkRole(input.role);
    if (await repo.mailboxByName(this.store.db, accountId, parentId, name)) throw conflict(`a mailbox named ${name} already exists there`);
    if (role && (await repo.mailboxByRole(this.store.db, accountId, role))) throw conflict(`a mailbox with role ${role} already exists`);
    const fields = { name, parentId, role, subscribed: input.subscribed ?? true, sortOrder: input.sortOrder ?? 100 };
    const upstream = await this.gate?.of(accountId);
    if (!upstream) return this.get(accountId, (await this.store.write((w) => this.insert(w, accountId, fields))).id);
    // A mirrored account: the folder is created upstream first, then mirrored here as the sync would.
    const row = await this.gate!.exclusive(accountId, async () => {
      const path = await upstream.createFolder(name, parentId ? (await upstream.folderOf(parentId)).path : null);
      return this.store.write(async (w) => {
        const created = await this.insert(w, accountId, fields);
        await remoteRepo.insertFolder(w.trx, { id: newId('x'), account_id: accountId, mailbox_id: created.id, path, uidvalidity: 0, uidnext: 0, highestmodseq: 0, synced_at: null });
        return created;
      });
    });
    return this.get(accountId, row.id);
  }

  async update(accountId: string, id: string, input: MailboxInput): Promise<MailboxView> {
    const row = await repo.mailbox(this.store.db, accountId, id);
    if (!row) throw notFound(`mailbox ${id}`);
    const patch: Partial<MailboxRow> = {};
    if (input.name !== undefined) patch.name = checkMailboxName(input.name);
    if (input.parentId !== undefined) patch.parent_id = await this.checkParent(accountId, input.parentId, id);
    if (input.subscribed !== undefined) patch.subscribed = input.subscribed ? 1 : 0;
    if (input.sortOrder !== undefined) {
      if (!Number.isInteger(input.sortOrder) || input.sortOrder < 0 || input.sortOrder > 2 ** 31) throw invalid('sortOrder', 'must be a non-negative integer');
      patch.sort_order = input.sortOrder;
    }
    if (input.role !== undefined) {
      patch.role = this.checkRole(input.role);
      if (row.role === 'inbox' && patch.role !== 'inbox') throw invalid('role', 'the inbox keeps its role');
      const other = patch.role ? await repo.mailboxByRole(this.store.db, accountId, patch.role) : undefined;
      if (other && other.id !== id) throw conflict(`a mailbox with role ${patch.role} already exists`);
    }
    if (row.role === 'inbox' && (patch.parent_id || (patch.name !== undefined && patch.name !== row.name))) {
      throw invalid('name', 'the inbox cannot be renamed or moved');
    }
    const name = patch.name ?? row.name;
    const parent = patch.parent_id ?? row.parent_id;
    if (name !== row.name || parent !== row.parent_id) {
      const clash = await repo.mailboxByName(this.store.db, accountId, parent, name);
      if (clash && clash.id !== id) throw conflict(`a mailbox named ${name} already exists there`);
    }
    if (Object.keys(patch).length === 0) return this.get(accountId, id);
    const write = (extra?: (w: WriteContext) => Promise<void>) =>
      this.store.write(async (w) => {
        patch.updated_modseq = await w.record(accountId, 'Mailbox', id, 'u');
        await repo.updateMailbox(w.trx, id, patch);
        await extra?.(w);
      });
    const upstream = name !== row.name || parent !== row.parent_id ? await this.gate?.of(accountId) : null;
    if (!upstream) await write();
    else {
      // A rename or move of a mirrored folder happens upstream first (RENAME), then here.
      await this.gate!.exclusive(accountId, async () => {
        const from = await upstream.folderOf(id);
        const to = await upstream.renameFolder(from.path, name, parent ? (await upstream.folderOf(parent)).path : null);
        await write((w) => remoteRepo.renameFolderTree(w.trx, accountId, from.path, to.path, to.delimiter));
      });
    }
    return this.get(accountId, id);
  }

  /**
   * Removes a mailbox. Emails that were only in it are destroyed; emails also in other mailboxes
   * just leave this one. The inbox and mailboxes with children cannot be removed.
   */
  async delete(accountId: string, id: string): Promise<void> {
    const row = await repo.mailbox(this.store.db, accountId, id);
    if (!row) throw notFound(`mailbox ${id}`);
    if (row.role === 'inbox') throw invalid('mailbox', 'the inbox cannot be deleted');
    if ((await repo.childCount(this.store.db, id)) > 0) throw conflict('the mailbox has child mailboxes: delete or move them first');
    const upstream = await this.gate?.of(accountId);
    if (!upstream) return this.remove(accountId, id);
    await this.gate!.exclusive(accountId, async () => {
      await upstream.deleteFolder((await upstream.folderOf(id)).path);
      await this.remove(accountId, id);
    });
  }

  /**
   * Removes a mailbox without the checks of delete(): also how a mirrored account follows a
   * folder deleted upstream. Emails only it held are destroyed, in bounded transactions.
   */
  async remove(accountId: string, id: string): Promise<void> {
    const emailIds = (await repo.emailsInMailbox(this.store.db, id)).map((r) => r.email_id);
    for (let i = 0; i < emailIds.length; i += 200) {
      const chunk = emailIds.slice(i, i + 200);
      await this.store.write(async (w) => {
        for (const emailId of chunk) await this.emails.leaveMailbox(w, accountId, emailId, id);
      });
    }
    await this.store.write(async (w) => {
      await w.record(accountId, 'Mailbox', id, 'd');
      await repo.deleteMailbox(w.trx, id);
    });
    await this.emails.collectGarbage();
  }

  /** Destroys every email of an account in bounded transactions (before the account row goes). */
  async purgeAccount(accountId: string): Promise<void> {
    let after = 0;
    for (;;) {
      const batch = await repo.emailIdsOfAccount(this.store.db, accountId, after, 200);
      if (batch.length === 0) break;
      after = Number(batch[batch.length - 1].num);
      await this.store.write(async (w) => {
        for (const e of batch) await this.emails.destroy(w, accountId, e.id);
      });
    }
    await this.store.write(async (w) => {
      for (const u of await uploadRepo.ofAccount(w.trx, accountId)) {
        await uploadRepo.remove(w.trx, accountId, u.blob_id);
        await repo.dropBlobRef(w.trx, u.blob_id);
      }
    });
    await this.emails.collectGarbage();
  }
}

