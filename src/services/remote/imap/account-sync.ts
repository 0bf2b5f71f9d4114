import type { ImapFlow } from 'imapflow';
import type { Store } from '../../../store/store.ts';
import type { IngestService } from '../../delivery/ingest.ts';
import type { ImapSettings } from '../settings.ts';
import { syncFolderTree } from './folders.ts';
import { syncFolderMessages } from './messages.ts';
import type { Mirror } from './mirror.ts';

export interface FolderProgress {
  path: string;
  done: number;
  total: number;
}

export interface PassDeps {
  store: Store;
  ingest: IngestService;
  mirror: Mirror;
  /** Keeps a folder's sync from interleaving with a user's write to the same account. */
  exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * One complete pass over a mirrored IMAP account on an open connection: the folder tree, then
 * each folder's messages, INBOX first so new mail shows up soonest.
 */
export async function syncPass(client: ImapFlow, deps: PassDeps, accountId: string, settings: ImapSettings, progress: (p: FolderProgress[]) => void): Promise<void> {
  const folders = await deps.exclusive(accountId, () => syncFolderTree(client, deps.store, deps.mirror, accountId, settings.sync));
  folders.sort((a, b) => Number(b.path.toUpperCase() === 'INBOX') - Number(a.path.toUpperCase() === 'INBOX'));
  const state = new Map<string, FolderProgress>(folders.map((f) => [f.path, { path: f.path, done: 0, total: 0 }]));
  for (const folder of folders) {
    await deps.exclusive(accountId, () =>
      syncFolderMessages(
      client,
      {
        ...deps,
        accountId,
        sync: settings.sync,
        progress: (path, done, total) => {
          state.set(path, { path, done, total });
          progress([...state.values()]);
        },
      },
        folder,
      ),
    );
  }
}
