import type { ImapFlow } from 'imapflow';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import { notFound, ServiceError } from '../../errors.ts';
import type { ImapLogin } from './connect.ts';
import { connectImap, describeFailure } from './connect.ts';

/** Where an email lives upstream. */
export interface UpstreamLocation {
  folderId: string;
  path: string;
  uid: number;
}

const SYSTEM_FLAGS: Record<string, string> = { $seen: '\\Seen', $flagged: '\\Flagged', $answered: '\\Answered', $draft: '\\Draft', $deleted: '\\Deleted' };
const toFlag = (keyword: string) => SYSTEM_FLAGS[keyword] ?? keyword;

// A connection nobody used for this long is logged out; the next write opens a new one.
const IDLE_MS = 60_000;

/**
 * Applies a user's change to a mirrored IMAP account at its upstream server, before the local
 * store records it (DESIGN.md §6): flags, moves, expunges, appends and folder changes. Every
 * failure is a ServiceError 'upstream', so the caller reports it and changes nothing locally.
 */
export class ImapUpstream {
  private client: ImapFlow | null = null;
  private closer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly accountId: string,
    private readonly login: () => Promise<ImapLogin>,
  ) {}

  private async connection(): Promise<ImapFlow> {
    if (this.closer) clearTimeout(this.closer);
    if (!this.client?.usable) {
      this.client?.close();
      this.client = await connectImap(await this.login());
    }
    this.closer = setTimeout(() => this.close(), IDLE_MS);
    this.closer.unref();
    return this.client;
  }

  close(): void {
    if (this.closer) clearTimeout(this.closer);
    this.closer = null;
    void this.client?.logout().catch(() => this.client?.close());
    this.client = null;
  }

  /** Runs one upstream step; any failure becomes ServiceError 'upstream' naming the server's answer. */
  private async run<T>(what: string, step: (client: ImapFlow) => Promise<T>): Promise<T> {
    try {
      return await step(await this.connection());
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      const e = err as { responseText?: string; message?: string };
      const login = await this.login().catch(() => null);
      const detail = login ? describeFailure(err, login.server).message : e.responseText || e.message;
      throw new ServiceError('upstream', `the upstream server refused to ${what}: ${detail}`);
    }
  }

  async locate(emailId: string): Promise<UpstreamLocation> {
    const found = await remoteRepo.locate(this.store.db, this.accountId, emailId);
    if (!found) throw new ServiceError('upstream', `message ${emailId} is not yet mirrored from upstream; try again after the next sync`);
    return { folderId: found.folder_id, path: found.path, uid: Number(found.uid) };
  }

  async folderOf(mailboxId: string): Promise<{ id: string; path: string }> {
    const folder = (await remoteRepo.folders(this.store.db, this.accountId)).find((f) => f.mailbox_id === mailboxId);
    if (!folder) throw notFound(`mailbox ${mailboxId}`);
    return { id: folder.id, path: folder.path };
  }

  async setKeywords(at: UpstreamLocation, before: string[], after: string[]): Promise<void> {
    const add = after.filter((k) => !before.includes(k)).map(toFlag);
    const remove = before.filter((k) => !after.includes(k)).map(toFlag);
    if (!add.length && !remove.length) return;
    await this.run('change flags', async (c) => {
      await c.mailboxOpen(at.path);
      if (add.length && !(await c.messageFlagsAdd(String(at.uid), add, { uid: true }))) throw new Error('STORE +FLAGS failed');
      if (remove.length && !(await c.messageFlagsRemove(String(at.uid), remove, { uid: true }))) throw new Error('STORE -FLAGS failed');
    });
  }

  /** MOVE to another folder; the new UID (COPYUID, RFC 4315) keeps the local email linked. */
  async move(at: UpstreamLocation, to: { id: string; path: string }): Promise<UpstreamLocation> {
    return this.run('move the message', async (c) => {
      await c.mailboxOpen(at.path);
      const res = await c.messageMove(String(at.uid), to.path, { uid: true });
      const uid = res ? res.uidMap?.get(at.uid) : undefined;
      if (!uid) throw new Error('the server did not report the moved message\'s new UID (UIDPLUS)');
      return { folderId: to.id, path: to.path, uid };
    });
  }

  /** Flags \Deleted and expunges just that UID (UID EXPUNGE, RFC 4315). */
  async expunge(at: UpstreamLocation): Promise<void> {
    await this.run('delete the message', async (c) => {
      await c.mailboxOpen(at.path);
      if (!(await c.messageDelete(String(at.uid), { uid: true }))) throw new Error('EXPUNGE failed');
    });
  }

  /** APPEND; the new UID (APPENDUID) is where the local copy will point. */
  async append(folder: { id: string; path: string }, raw: Buffer, keywords: string[], receivedAt: number): Promise<UpstreamLocation> {
    return this.run('store the message', async (c) => {
      const res = await c.append(folder.path, raw, keywords.map(toFlag), new Date(receivedAt));
      if (!res || !res.uid) throw new Error('the server did not report the new message\'s UID (UIDPLUS)');
      return { folderId: folder.id, path: folder.path, uid: res.uid };
    });
  }

  /** The server's hierarchy delimiter where a folder lives (the parent's, or INBOX's at the top). */
  private async delimiter(c: ImapFlow, near: string | null): Promise<string> {
    const all = await c.list();
    return (all.find((f) => f.path === near) ?? all.find((f) => f.path.toUpperCase() === 'INBOX'))?.delimiter || '/';
  }

  async createFolder(name: string, parentPath: string | null): Promise<string> {
    return this.run('create the folder', async (c) => {
      const path = parentPath ? `${parentPath}${await this.delimiter(c, parentPath)}${name}` : name;
      await c.mailboxCreate(path);
      return path;
    });
  }

  /** RENAME (which also moves the folder's children); returns the new path and the delimiter. */
  async renameFolder(path: string, name: string, parentPath: string | null): Promise<{ path: string; delimiter: string }> {
    return this.run('rename the folder', async (c) => {
      const delimiter = await this.delimiter(c, parentPath ?? path);
      const to = parentPath ? `${parentPath}${delimiter}${name}` : name;
      if (to !== path) await c.mailboxRename(path, to);
      return { path: to, delimiter };
    });
  }

  async deleteFolder(path: string): Promise<void> {
    await this.run('delete the folder', async (c) => {
      await c.mailboxDelete(path);
    });
  }
}
