import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { DirectoryService, Principal } from '../directory/directory.ts';
import type { Permission } from './permissions.ts';

/** An apiKey principal authenticated by one of its secrets: it acts with its own permissions and has no mailbox (ADR 0026). */
export interface ApiKeyCaller {
  kind: 'key';
  id: string;
  name: string;
  permissions: ReadonlySet<Permission>;
  tenantId: string | null;
}

export type Caller = { kind: 'admin' } | { kind: 'user'; principal: Principal } | ApiKeyCaller;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Bearer tokens: random, shown once, stored only as sha256 hashes (DESIGN.md §7). */
export class TokenService {
  private readonly configuredAdminHash: Buffer | null;

  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    configuredAdminToken: string,
    private readonly ttlSeconds: number,
  ) {
    this.configuredAdminHash = configuredAdminToken ? Buffer.from(sha256(configuredAdminToken), 'hex') : null;
  }

  static generate(): string {
    return 'gnt_' + randomBytes(32).toString('base64url');
  }

  private async insert(token: string, scope: 'admin' | 'user', principalId: string | null, expiresAt: number | null, description: string | null) {
    await this.store.write(async (w) =>
      w.trx
        .insertInto('tokens')
        .values({ id: newId('k'), token_hash: sha256(token), principal_id: principalId, scope, description, expires_at: expiresAt, created_at: Date.now() })
        .execute(),
    );
  }

  /**
   * At start: with no configured admin token and none stored yet, make one and return it so
   * the server can print it once. Returns null otherwise.
   */
  async bootstrapAdminToken(): Promise<string | null> {
    if (this.configuredAdminHash) return null;
    const existing = await this.store.db.selectFrom('tokens').select('id').where('scope', '=', 'admin').limit(1).executeTakeFirst();
    if (existing) return null;
    return this.createAdminToken('generated at first start');
  }

  async createAdminToken(description: string): Promise<string> {
    const token = TokenService.generate();
    await this.insert(token, 'admin', null, null, description);
    return token;
  }

  async createUserToken(principal: Principal): Promise<{ token: string; expiresAt: string }> {
    const token = TokenService.generate();
    const expiresAt = Date.now() + this.ttlSeconds * 1000;
    await this.insert(token, 'user', principal.id, expiresAt, null);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  async verify(token: string): Promise<Caller | null> {
    if (token.length < 8 || token.length > 512) return null;
    const hash = sha256(token);
    if (this.configuredAdminHash && timingSafeEqual(this.configuredAdminHash, Buffer.from(hash, 'hex'))) return { kind: 'admin' };
    const row = await this.store.db.selectFrom('tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    if (!row || (row.expires_at !== null && row.expires_at < Date.now())) return null;
    if (row.scope === 'admin') return { kind: 'admin' };
    if (row.scope === 'key') return row.principal_id ? this.directory.apiKey(row.principal_id) : null;
    const principal = row.principal_id ? await this.directory.principal(row.principal_id) : null;
    return principal ? { kind: 'user', principal } : null;
  }

  async pruneExpired(): Promise<void> {
    await this.store.write(async (w) => w.trx.deleteFrom('tokens').where('expires_at', '<', Date.now()).execute());
  }
}
