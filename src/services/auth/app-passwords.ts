import { createHash, randomInt } from 'node:crypto';
import type { Trx } from '../../store/changes.ts';
import type { AppPasswordRow } from '../../store/db/schema.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { invalid, notFound } from '../errors.ts';
import { isSha512Crypt, verifySha512Crypt } from './sha-crypt.ts';

/** What an application-specific password may be used for; `*` is every one of them. */
export const ASP_SCOPES = ['imap', 'pop3', 'smtp', 'jmap', 'api', '*'] as const;
export type AspScope = (typeof ASP_SCOPES)[number];

export interface AppPasswordView {
  id: string;
  description: string;
  scopes: AspScope[];
  created: string;
  lastUse: { time: string; ip: string | null } | null;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const LENGTH = 16;

/**
 * 16 random lowercase letters (75 bits), as WildDuck makes them: easy to type on a phone, and
 * too random to guess, so a plain sha256 stores it safely and lets a login find the matching
 * password by value instead of trying an argon2 hash per password (ADR 0024).
 */
function generate(): string {
  let out = '';
  for (let i = 0; i < LENGTH; i++) out += LETTERS[randomInt(LETTERS.length)];
  return out;
}

/** Clients show the password in groups; spaces typed along and capitals do not matter. */
export const aspHash = (secret: string) => createHash('sha256').update(secret.replace(/\s+/g, '').toLowerCase()).digest('hex');

/** Whether a typed secret has the shape of an application-specific password at all. */
export const looksLikeAsp = (secret: string) => /^[a-z]{16}$/.test(secret.replace(/\s+/g, '').toLowerCase());

function view(row: AppPasswordRow): AppPasswordView {
  return {
    id: row.id,
    description: row.description,
    scopes: JSON.parse(row.scopes_json) as AspScope[],
    created: new Date(row.created_at).toISOString(),
    lastUse: row.last_used_at === null ? null : { time: new Date(row.last_used_at).toISOString(), ip: row.last_ip },
  };
}

export function checkScopes(scopes: readonly string[]): AspScope[] {
  if (scopes.length === 0) throw invalid('scopes', 'name at least one scope');
  for (const s of scopes) if (!(ASP_SCOPES as readonly string[]).includes(s)) throw invalid('scopes', `${s} is not one of ${ASP_SCOPES.join(', ')}`);
  const unique = [...new Set(scopes)] as AspScope[];
  return unique.includes('*') ? ['*'] : unique;
}

/** Application-specific passwords of a principal: each its own revocable secret, limited to scopes. */
export class AppPasswords {
  constructor(private readonly store: Store) {}

  /** The row is written with the caller's transaction, so the auth log entry lands with it. */
  async create(trx: Trx, principalId: string, description: string, scopes: readonly string[]): Promise<{ id: string; password: string }> {
    const text = description.trim();
    if (text.length === 0 || text.length > 256) throw invalid('description', 'must be 1 to 256 characters');
    const checked = checkScopes(scopes);
    const password = generate();
    const id = newId('b');
    await trx
      .insertInto('app_passwords')
      .values({ id, principal_id: principalId, description: text, scopes_json: JSON.stringify(checked), secret_hash: aspHash(password), created_at: Date.now(), last_used_at: null, last_ip: null })
      .execute();
    return { id, password };
  }

  /**
   * An app password whose secret the client made and sent only as a SHA-512-crypt hash
   * (Stalwart's web admin does this): kept as that hash and checked by computing it.
   */
  async createFromCrypt(trx: Trx, principalId: string, description: string, scopes: readonly string[], hash: string): Promise<string> {
    if (!isSha512Crypt(hash)) throw invalid('password', 'must be a SHA-512-crypt ($6$) hash');
    const id = newId('b');
    await trx
      .insertInto('app_passwords')
      .values({ id, principal_id: principalId, description: description.slice(0, 256), scopes_json: JSON.stringify(checkScopes(scopes)), secret_hash: hash, created_at: Date.now(), last_used_at: null, last_ip: null })
      .execute();
    return id;
  }

  /** Deletes the principal's app passwords with this description; how many there were. */
  async deleteByDescription(trx: Trx, principalId: string, description: string): Promise<number> {
    const res = await trx.deleteFrom('app_passwords').where('principal_id', '=', principalId).where('description', '=', description).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async list(principalId: string): Promise<AppPasswordView[]> {
    const rows = await this.store.db.selectFrom('app_passwords').selectAll().where('principal_id', '=', principalId).orderBy('id').execute();
    return rows.map(view);
  }

  async delete(trx: Trx, principalId: string, id: string): Promise<void> {
    const res = await trx.deleteFrom('app_passwords').where('principal_id', '=', principalId).where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`application-specific password ${id}`);
  }

  /** The ASP of this principal the secret is, if any. */
  async match(principalId: string, secret: string): Promise<{ id: string; scopes: AspScope[] } | null> {
    const db = this.store.db;
    const row =
      (looksLikeAsp(secret)
        ? await db.selectFrom('app_passwords').select(['id', 'scopes_json']).where('principal_id', '=', principalId).where('secret_hash', '=', aspHash(secret)).executeTakeFirst()
        : undefined) ?? (await this.matchCrypt(principalId, secret));
    return row ? { id: row.id, scopes: JSON.parse(row.scopes_json) as AspScope[] } : null;
  }

  private async matchCrypt(principalId: string, secret: string) {
    const rows = await this.store.db.selectFrom('app_passwords').select(['id', 'scopes_json', 'secret_hash']).where('principal_id', '=', principalId).where('secret_hash', 'like', '$6$%').execute();
    return rows.find((r) => verifySha512Crypt(r.secret_hash, secret));
  }

  async exists(id: string): Promise<boolean> {
    return (await this.store.db.selectFrom('app_passwords').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  async touch(trx: Trx, id: string, ip: string | null, now: number): Promise<void> {
    await trx.updateTable('app_passwords').set({ last_used_at: now, last_ip: ip }).where('id', '=', id).execute();
  }
}
