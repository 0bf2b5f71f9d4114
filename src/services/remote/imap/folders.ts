import type { ImapFlow, ListResponse } from 'imapflow';
import type { RemoteFolderRow } from '../../../store/db/schema.ts';
import { mailRepo } from '../../../store/repos/mail.ts';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import { newId } from '../../../util/ids.ts';
import type { SyncSettings } from '../settings.ts';
import { UpstreamError } from './connect.ts';
import type { Mirror } from './mirror.ts';

const ROLE: Record<string, string> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'sent',
  '\\Drafts': 'drafts',
  '\\Trash': 'trash',
  '\\Junk': 'junk',
  '\\Archive': 'archive',
  '\\All': 'all',
  '\\Flagged': 'flagged',
  '\\Important': 'important',
};

const selectable = (f: ListResponse) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent');
const depth = (f: { path: string }, delimiter: string) => (delimiter ? f.path.split(delimiter).length : 1);

/** The upstream folders the settings ask for, plus the parents they need to keep their place. */
function wantedFolders(all: ListResponse[], sync: SyncSettings): ListResponse[] {
  const isTrash = (f: ListResponse) => f.specialUse === '\\Trash';
  const chosen = all.filter((f) => {
    if (sync.excludeTrash && isTrash(f)) return false;
    if (!sync.folders) return true;
    return sync.folders.some((name) => name === f.path || name === f.name || (f.path === 'INBOX' && name.toUpperCase() === 'INBOX'));
  });
  const byPath = new Map(all.map((f) => [f.path, f]));
  const out = new Map(chosen.map((f) => [f.path, f]));
  for (const f of chosen) {
    for (let parent = f.parentPath; parent && !out.has(parent); parent = byPath.get(parent)?.parentPath ?? '') {
      const p = byPath.get(parent);
      if (!p) break;
      out.set(parent, { ...p, flags: new Set([...p.flags, '\\Noselect']) });
    }
  }
  return [...out.values()];
}

export interface FolderToSync {
  row: RemoteFolderRow;
  path: string;
}

/**
 * Makes the local mailboxes mirror the upstream folder tree: new folders become mailboxes
 * (parents first, special-use folders with their role), vanished ones are removed, and a folder
 * that reappears under another name with the same UIDVALIDITY is a rename, so its mail stays.
 * Returns the selectable folders whose messages are to be synced.
 */
export async function syncFolderTree(client: ImapFlow, store: Store, mirror: Mirror, accountId: string, sync: SyncSettings): Promise<FolderToSync[]> {
  const listed = await client.list();
  // Every IMAP server has an INBOX; a LIST without one is broken, and trusting it would delete every mailbox here.
  if (!listed.some((f) => f.path.toUpperCase() === 'INBOX')) throw new UpstreamError('the upstream folder list has no INBOX', 'protocol');
  const upstream = wantedFolders(listed, sync);
  const known = new Map((await remoteRepo.folders(store.db, accountId)).map((f) => [f.path, f]));
  const upstreamPaths = new Set(upstream.map((f) => f.path));
  const vanished = [...known.values()].filter((f) => !upstreamPaths.has(f.path));
  const fresh = upstream.filter((f) => !known.has(f.path)).sort((a, b) => depth(a, a.delimiter) - depth(b, b.delimiter));

  const mailboxOf = (path: string) => known.get(path)?.mailbox_id ?? '';
  const usedRoles = new Set((await mailRepo.mailboxes(store.db, accountId)).map((m) => m.role).filter(Boolean));
  for (const f of fresh) {
    const parentId = f.parentPath ? mailboxOf(f.parentPath) : '';
    const renamed = selectable(f) ? await renameSource(client, f, vanished) : null;
    if (renamed) {
      await mirror.moveMailbox(accountId, renamed.mailbox_id, f.name, parentId);
      await remoteRepo.updateFolder(store.db, renamed.id, { path: f.path });
      vanished.splice(vanished.indexOf(renamed), 1);
      known.set(f.path, { ...renamed, path: f.path });
      continue;
    }
    const role = f.path.toUpperCase() === 'INBOX' ? 'inbox' : (f.specialUse && ROLE[f.specialUse]) || null;
    const useRole = role && !usedRoles.has(role) ? role : null;
    if (useRole) usedRoles.add(useRole);
    const mailbox = await mirror.createMailbox(accountId, { name: f.name, parentId, role: useRole });
    const row: RemoteFolderRow = { id: newId('x'), account_id: accountId, mailbox_id: mailbox.id, path: f.path, uidvalidity: 0, uidnext: 0, highestmodseq: 0, synced_at: null };
    await remoteRepo.insertFolder(store.db, row);
    known.set(f.path, row);
  }
  // Deepest first, so a parent is never removed while it still has children.
  for (const f of vanished.sort((a, b) => b.path.length - a.path.length)) {
    await mirror.removeMailbox(accountId, f.mailbox_id);
    await remoteRepo.deleteFolder(store.db, f.id);
    known.delete(f.path);
  }
  return upstream.filter(selectable).map((f) => ({ row: known.get(f.path)!, path: f.path }));
}

/** A vanished folder with the new one's UIDVALIDITY: the same folder, renamed upstream. */
async function renameSource(client: ImapFlow, f: ListResponse, vanished: RemoteFolderRow[]): Promise<RemoteFolderRow | null> {
  const candidates = vanished.filter((v) => v.uidvalidity > 0);
  if (candidates.length === 0) return null;
  const status = await client.status(f.path, { uidValidity: true }).catch(() => false as const);
  if (!status || status.uidValidity === undefined) return null;
  return candidates.find((v) => v.uidvalidity === Number(status.uidValidity)) ?? null;
}
