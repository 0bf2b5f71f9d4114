import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { FsBlobStore } from '../blobs/fs.ts';
import type { Dialect } from './dialect.ts';
import * as initial from './migrations/001_initial.ts';
import * as flagIndexes from './migrations/002_flag_indexes.ts';
import * as uploads from './migrations/003_uploads.ts';
import * as identities from './migrations/004_identities.ts';
import * as pushSubscriptions from './migrations/005_push_subscriptions.ts';
import * as outbound from './migrations/006_outbound.ts';
import * as searchFields from './migrations/007_search_fields.ts';
import * as accountNames from './migrations/008_account_names.ts';
import * as pushKeys from './migrations/009_push_keys.ts';
import * as remoteAccounts from './migrations/010_remote_accounts.ts';
import * as webhooks from './migrations/011_webhooks.ts';
import * as remoteWriteLock from './migrations/012_remote_write_lock.ts';
import * as imapModseq from './migrations/013_imap_modseq.ts';
import * as envelopes from './migrations/014_envelopes.ts';
import * as deletedEmails from './migrations/015_deleted_emails.ts';
import * as dsn from './migrations/016_dsn.ts';
import * as dkimKeys from './migrations/017_dkim_keys.ts';
import * as emailSubmissions from './migrations/018_email_submissions.ts';
import * as allowedSenders from './migrations/019_allowed_senders.ts';
import * as credentials from './migrations/020_credentials.ts';
import * as oauth from './migrations/021_oauth.ts';
import * as principals from './migrations/022_principals.ts';
import * as emailFlags from './migrations/023_email_flags.ts';
import * as remoteStaged from './migrations/024_remote_staged.ts';
import * as packedBlobs from './migrations/025_packed_blobs.ts';
import * as unreferencedBlobs from './migrations/026_unreferenced_blobs_index.ts';

/**
 * Migrations are listed here in order; each receives the dialect for the few backend-specific
 * statements, and the blobs for those that derive data from the stored messages.
 */
const MIGRATIONS: Record<string, { up(db: Kysely<any>, dialect: Dialect, blobs: FsBlobStore): Promise<void> }> = {
  '001_initial': initial,
  '002_flag_indexes': flagIndexes,
  '003_uploads': uploads,
  '004_identities': identities,
  '005_push_subscriptions': pushSubscriptions,
  '006_outbound': outbound,
  '007_search_fields': searchFields,
  '008_account_names': accountNames,
  '009_push_keys': pushKeys,
  '010_remote_accounts': remoteAccounts,
  '011_webhooks': webhooks,
  '012_remote_write_lock': remoteWriteLock,
  '013_imap_modseq': imapModseq,
  '014_envelopes': envelopes,
  '015_deleted_emails': deletedEmails,
  '016_dsn': dsn,
  '017_dkim_keys': dkimKeys,
  '018_email_submissions': emailSubmissions,
  '019_allowed_senders': allowedSenders,
  '020_credentials': credentials,
  '021_oauth': oauth,
  '022_principals': principals,
  '023_email_flags': emailFlags,
  '024_remote_staged': remoteStaged,
  '025_packed_blobs': packedBlobs,
  '026_unreferenced_blobs_index': unreferencedBlobs,
};

/** The migrations for this dialect, for kysely's Migrator. */
export class StaticProvider implements MigrationProvider {
  constructor(
    private readonly dialect: Dialect,
    private readonly blobs: FsBlobStore,
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => m.up(db, this.dialect, this.blobs) };
    return out;
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: Dialect, blobs: FsBlobStore): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect, blobs) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? 'unknown error'}`);
  }
}
