import { join } from 'node:path';
import { Bus, type ChangeEvent } from './bus.ts';
import { WriteContext, type Trx } from './changes.ts';
import { openDatabase, type Database, type Db } from './db/connect.ts';
import type { Dialect } from './db/dialect.ts';
import { FsBlobStore } from './blobs/fs.ts';
import { PackStore } from './blobs/packs.ts';
import { mailRepo } from './repos/mail.ts';
import { searchIndexFor } from './search/backends.ts';
import type { SearchDocument, SearchIndex } from './search/types.ts';

export type WriteFn<T> = (w: WriteContext) => Promise<T>;

/**
 * The one handle services get on persistence: the metadata database, blobs, the full-text index
 * and the change bus. Every write goes through write()/writeBatch(), which record the change log
 * and publish on the bus only after commit.
 */
export class Store {
  readonly bus = new Bus();
  readonly search: SearchIndex;

  private constructor(
    private readonly database: Database,
    readonly blobs: FsBlobStore,
    /** Mirror downloads not yet indexed (ADR 0031), or indexed but not yet written out as blob files (ADR 0033). */
    readonly packs: PackStore,
  ) {
    this.search = searchIndexFor(database.dialect);
  }

  static async open(databaseUrl: string, dataDir: string): Promise<Store> {
    const blobs = new FsBlobStore(join(dataDir, 'blobs'));
    const database = await openDatabase(databaseUrl, dataDir, blobs);
    const packs = new PackStore(join(dataDir, 'staging'));
    blobs.readPackedFrom(packs, (ids) => mailRepo.blobPacks(database.db, ids));
    return new Store(database, blobs, packs);
  }

  get db(): Db {
    return this.database.db;
  }

  get dialect(): Dialect {
    return this.database.dialect;
  }

  async write<T>(fn: WriteFn<T>): Promise<T> {
    const { value, events } = await this.db.transaction().execute(async (trx) => {
      const ctx = new WriteContext(trx);
      const value = await fn(ctx);
      await this.index(trx, ctx.takeIndexed());
      return { value, events: await ctx.flush() };
    });
    this.publish(events);
    return value;
  }

  /**
   * Runs several independent writes in one transaction (group commit): one fsync for many
   * deliveries. Each runs in its own savepoint, so one failing write leaves the others intact.
   */
  async writeBatch<T>(fns: WriteFn<T>[]): Promise<PromiseSettledResult<T>[]> {
    if (fns.length === 1) {
      // Alone in its batch, a write needs no savepoint: its failure is the transaction's.
      try {
        return [{ status: 'fulfilled', value: await this.write(fns[0]) }];
      } catch (reason) {
        return [{ status: 'rejected', reason }];
      }
    }
    const trx = await this.db.startTransaction().execute();
    const results: PromiseSettledResult<T>[] = [];
    const events: ChangeEvent[] = [];
    const succeeded: WriteContext[] = [];
    try {
      for (let i = 0; i < fns.length; i++) {
        const name = `w${i}`;
        const sp = await trx.savepoint(name).execute();
        const ctx = new WriteContext(sp);
        try {
          const value = await fns[i](ctx);
          events.push(...(await ctx.flush()));
          await sp.releaseSavepoint(name).execute();
          succeeded.push(ctx);
          results.push({ status: 'fulfilled', value });
        } catch (reason) {
          await sp.rollbackToSavepoint(name).execute();
          results.push({ status: 'rejected', reason });
        }
      }
      await this.index(trx, succeeded.flatMap((ctx) => ctx.takeIndexed()));
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      throw err;
    }
    this.publish(events);
    return results;
  }

  private async index(trx: Trx, docs: SearchDocument[]): Promise<void> {
    if (docs.length > 0) await this.search.add(trx, docs);
  }

  private publish(events: ChangeEvent[]): void {
    for (const event of events) if (event.changes.length > 0) this.bus.publish(event);
  }

  async close(): Promise<void> {
    await this.blobs.close();
    await this.database.close();
  }
}
