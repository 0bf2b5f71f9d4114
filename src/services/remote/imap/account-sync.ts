import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../settings.ts';
import { syncFolderTree } from './folders.ts';
import { syncFolderMessages } from './messages.ts';
import { indexStaged, type StagingDeps } from './staging.ts';

export interface FolderProgress {
  path: string;
  /** New messages downloaded and stored durably. */
  done: number;
  total: number;
  /** Of those, made into emails (searchable and visible). */
  indexed: number;
}

/** What a pass needs: what indexing does (the lock also keeps a folder's download from interleaving with a user's write). */
export type PassDeps = StagingDeps;

/**
 * One complete pass over a mirrored IMAP account on an open connection: what an interrupted
 * pass left staged, the folder tree, then each folder's messages, INBOX first so new mail shows
 * up soonest. A folder's new messages are all downloaded and made durable first, then indexed
 * (ADR 0031): the upstream connection is busy only as long as the copy takes.
 */
export async function syncPass(client: ImapFlow, deps: PassDeps, accountId: string, settings: ImapSettings, progress: (p: FolderProgress[]) => void): Promise<void> {
  try {
    await passOver(client, deps, accountId, settings, progress);
  } finally {
    // The blob files of what this pass indexed, written after it: they are not needed to see the mail.
    void deps.packed.writeOut();
  }
}

async function passOver(client: ImapFlow, deps: PassDeps, accountId: string, settings: ImapSettings, progress: (p: FolderProgress[]) => void): Promise<void> {
  // Staged rows the folder diffs below would not know of: indexed first, so they count as mirrored.
  await indexStaged(deps, accountId, null);
  const folders = await deps.exclusive(accountId, () => syncFolderTree(client, deps.store, deps.mirror, accountId, settings.sync));
  folders.sort((a, b) => Number(b.path.toUpperCase() === 'INBOX') - Number(a.path.toUpperCase() === 'INBOX'));
  const state = new Map<string, FolderProgress>(folders.map((f) => [f.path, { path: f.path, done: 0, total: 0, indexed: 0 }]));
  const report = (path: string, patch: Partial<FolderProgress>) => {
    state.set(path, { ...state.get(path)!, ...patch });
    progress([...state.values()]);
  };
  const downloading = (path: string, done: number, total: number) => {
    // Mail to index soon: the parse threads start while it downloads.
    deps.parser.warm(total);
    report(path, { done, total });
  };
  for (const folder of folders) {
    await deps.exclusive(accountId, () => syncFolderMessages(client, { ...deps, accountId, sync: settings.sync, progress: downloading }, folder));
    let indexed = 0;
    await indexStaged(deps, accountId, folder.row.id, (n) => report(folder.path, { indexed: (indexed += n) }));
  }
}
