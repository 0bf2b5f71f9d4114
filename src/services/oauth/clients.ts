import { timingSafeEqual } from 'node:crypto';
import type { OAuthClientRow } from '../../store/db/schema.ts';
import { oauthRepo } from '../../store/repos/oauth.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { invalid, notFound } from '../errors.ts';
import { decodeCursor, encodeCursor, isString, pageLimit, type Page, type PageRequest } from '../paging.ts';
import { OAuthError } from './errors.ts';
import { randomToken, tokenHash as sha256 } from './hash.ts';
import { SCOPES, validScopes } from './scopes.ts';

export interface OAuthClientView {
  id: string;
  name: string;
  /** Confidential clients authenticate with a secret; public ones (apps on a device) must use PKCE. */
  type: 'confidential' | 'public';
  redirectUris: string[];
  scopes: string[];
  createdAt: string;
}

export interface OAuthClient {
  id: string;
  name: string;
  confidential: boolean;
  redirectUris: string[];
  scopes: string[];
}

const MAX_REDIRECT_URIS = 10;

const client = (row: OAuthClientRow): OAuthClient => ({
  id: row.id,
  name: row.name,
  confidential: row.secret_hash !== null,
  redirectUris: JSON.parse(row.redirect_uris) as string[],
  scopes: row.scopes.split(' ').filter(Boolean),
});

const view = (row: OAuthClientRow): OAuthClientView => {
  const c = client(row);
  return { id: c.id, name: c.name, type: c.confidential ? 'confidential' : 'public', redirectUris: c.redirectUris, scopes: c.scopes, createdAt: new Date(Number(row.created_at)).toISOString() };
};

/**
 * A redirect URI a client may register: absolute, without a fragment (RFC 6749 §3.1.2); plain
 * http only to the loopback interface, for native apps (RFC 8252 §7.3); a private-use scheme
 * (com.example.app:/cb, RFC 8252 §7.1) is fine, schemes that run code or read files are not.
 */
export function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('redirectUris', `${uri.slice(0, 100)} is not an absolute URI`);
  }
  if (uri.includes('#')) throw invalid('redirectUris', 'a redirect URI may not have a fragment');
  if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:'].includes(url.protocol)) throw invalid('redirectUris', `the ${url.protocol} scheme is not allowed`);
  if (url.protocol === 'http:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
    throw invalid('redirectUris', 'plain http is allowed only for loopback redirect URIs');
  }
}

/** OAuth clients as administrators register them; secrets are shown once and kept as sha256 hashes. */
export class OAuthClients {
  constructor(private readonly store: Store) {}

  async register(input: { name: string; type: 'confidential' | 'public'; redirectUris: string[]; scopes?: string[] }): Promise<{ client: OAuthClientView; secret: string | null }> {
    if (input.redirectUris.length === 0 || input.redirectUris.length > MAX_REDIRECT_URIS) throw invalid('redirectUris', `give 1 to ${MAX_REDIRECT_URIS} redirect URIs`);
    for (const uri of input.redirectUris) checkRedirectUri(uri);
    const scopes = input.scopes ?? [...SCOPES];
    if (scopes.length === 0 || !validScopes(scopes)) throw invalid('scopes', `each scope must be one of ${SCOPES.join(', ')}`);
    const secret = input.type === 'confidential' ? randomToken('gcs_') : null;
    const row: OAuthClientRow = {
      id: newId('c'),
      name: input.name,
      secret_hash: secret ? sha256(secret) : null,
      redirect_uris: JSON.stringify([...new Set(input.redirectUris)]),
      scopes: [...new Set(scopes)].join(' '),
      created_at: Date.now(),
    };
    await this.store.write(async (w) => oauthRepo.insertClient(w.trx, row));
    return { client: view(row), secret };
  }

  async list(req: PageRequest): Promise<Page<OAuthClientView>> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor, isString);
    const rows = await oauthRepo.clients(this.store.db);
    const from = after === undefined ? 0 : rows.findIndex((r) => r.id > after);
    const page = from < 0 ? [] : rows.slice(from, from + limit);
    const more = from >= 0 && from + limit < rows.length;
    return { total: rows.length, results: page.map(view), next: more ? encodeCursor(page[page.length - 1].id) : null };
  }

  async remove(id: string): Promise<void> {
    const removed = await this.store.write(async (w) => oauthRepo.deleteClient(w.trx, id));
    if (removed === 0) throw notFound(`OAuth client ${id}`);
  }

  /** A registered client by id, for the authorization endpoint; null if unknown. */
  async find(id: string): Promise<OAuthClient | null> {
    if (id.length === 0 || id.length > 100) return null;
    const row = await oauthRepo.client(this.store.db, id);
    return row ? client(row) : null;
  }

  /**
   * The client a token request comes from (RFC 6749 §2.3): a confidential client must present its
   * secret; a public client presents none.
   */
  async authenticate(id: string, secret: string | undefined): Promise<OAuthClient> {
    const row = id.length > 0 && id.length <= 100 ? await oauthRepo.client(this.store.db, id) : undefined;
    if (!row) throw new OAuthError('invalid_client', 'unknown client');
    if (row.secret_hash === null) {
      if (secret) throw new OAuthError('invalid_client', 'this public client has no secret');
      return client(row);
    }
    if (!secret || !timingSafeEqual(Buffer.from(sha256(secret), 'hex'), Buffer.from(row.secret_hash, 'hex'))) {
      throw new OAuthError('invalid_client', 'client authentication failed');
    }
    return client(row);
  }
}
