import type { Logger } from 'pino';
import type { WriteContext } from '../../store/changes.ts';
import type { RemoteAccountRow } from '../../store/db/schema.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { DirectoryService } from '../directory/directory.ts';
import { isUniqueViolation } from '../directory/directory.ts';
import { checkDisplayName } from '../directory/names.ts';
import { conflict, invalid, notFound, ServiceError } from '../errors.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import type { SecretBox } from '../secrets/box.ts';
import type { Hop } from '../outbound/routes.ts';
import { discover, type DiscoveryOptions } from './discovery.ts';
import type { FolderProgress } from './imap/account-sync.ts';
import type { ImapLogin } from './imap/connect.ts';
import { fetchSession, type Connection } from './jmap/session.ts';
import { checkAuthType, checkSessionUrl, type JmapSettings } from './jmap/settings.ts';
import {
  checkHost,
  checkPort,
  checkSync,
  checkTls,
  DEFAULT_SYNC,
  type ImapSettings,
  type ServerSettings,
  type SyncSettings,
} from './settings.ts';

interface RemoteAccountCommon {
  id: string;
  num: number;
  externalId: string | null;
  userId: string;
  name: string;
  email: string;
  username: string;
  status: string;
  lastSyncAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

/** A mirrored IMAP account: its mail is copied into the local store. */
export interface ImapRemoteView extends RemoteAccountCommon {
  protocol: 'imap';
  imap: ServerSettings;
  smtp: ServerSettings | null;
  sync: SyncSettings;
  progress: FolderProgress[] | null;
  folders: number;
  messages: number;
}

/** A proxied JMAP account: nothing of its mail is stored here; every call goes upstream. */
export interface JmapRemoteView extends RemoteAccountCommon {
  protocol: 'jmap';
  jmap: Pick<JmapSettings, 'sessionUrl' | 'authType' | 'apiUrl' | 'downloadUrl' | 'uploadUrl' | 'upstreamAccountId'>;
}

/** A remote account as every API shows it; the password never appears. */
export type RemoteAccountView = ImapRemoteView | JmapRemoteView;

export interface RemoteAccountInput {
  /** 'imap' (the default) mirrors the account; 'jmap' proxies it. */
  protocol?: unknown;
  email?: string;
  name?: string;
  username?: string;
  password?: string;
  imap?: Partial<Record<keyof ServerSettings, unknown>>;
  smtp?: Partial<Record<keyof ServerSettings, unknown>> | null;
  sync?: Partial<Record<keyof SyncSettings, unknown>>;
  /** JMAP only: the upstream Session URL (or its /.well-known/jmap) and how to authenticate. */
  sessionUrl?: unknown;
  authType?: unknown;
}

/** Who gets the account: an existing user's pool, or a new user whose primary account it is. */
export type RemoteOwner = { userRef: string } | { newUser: { username: string; password: string } };

/** Runs the sync workers; the service only tells it what changed. */
export interface SyncRunner {
  ensure(accountId: string): void;
  restart(accountId: string): Promise<void>;
  forget(accountId: string): Promise<void>;
  syncNow(accountId: string): Promise<void>;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

function checkEmail(v: unknown): string {
  if (typeof v !== 'string' || !EMAIL.test(v.trim()) || v.length > 320) throw invalid('email', 'must be an email address');
  return v.trim();
}

function checkServer(v: Partial<Record<keyof ServerSettings, unknown>>, field: string, defaults: Omit<ServerSettings, 'host'>): ServerSettings {
  return {
    host: checkHost(v.host, `${field}.host`),
    port: v.port === undefined || v.port === null ? defaults.port : checkPort(v.port, `${field}.port`),
    tls: v.tls === undefined || v.tls === null ? defaults.tls : checkTls(v.tls, `${field}.tls`),
  };
}

function view(row: RemoteAccountRow & { principal_id: string; name: string }, counts?: { folders: number; messages: number }): RemoteAccountView {
  const settings = JSON.parse(row.settings_json) as ImapSettings | JmapSettings;
  const common: RemoteAccountCommon = {
    id: row.account_id,
    num: row.num,
    externalId: row.external_id,
    userId: row.principal_id,
    name: row.name,
    email: row.email,
    username: settings.username,
    status: row.status,
    lastSyncAt: row.last_sync_at === null ? null : Number(row.last_sync_at),
    lastError: row.last_error,
    lastErrorAt: row.last_error_at === null ? null : Number(row.last_error_at),
  };
  if (row.protocol === 'jmap') {
    const { sessionUrl, authType, apiUrl, downloadUrl, uploadUrl, upstreamAccountId } = settings as JmapSettings;
    return { ...common, protocol: 'jmap', jmap: { sessionUrl, authType, apiUrl, downloadUrl, uploadUrl, upstreamAccountId } };
  }
  const s = settings as ImapSettings;
  return {
    ...common,
    protocol: 'imap',
    imap: s.imap,
    smtp: s.smtp,
    sync: s.sync,
    progress: row.progress_json ? (JSON.parse(row.progress_json) as FolderProgress[]) : null,
    folders: counts?.folders ?? 0,
    messages: counts?.messages ?? 0,
  };
}

function nextImap(current: ImapSettings, input: RemoteAccountInput): ImapSettings {
  return {
    imap: input.imap ? checkServer({ ...current.imap, ...input.imap }, 'imap', current.imap) : current.imap,
    smtp: input.smtp === null ? null : input.smtp ? checkServer({ ...(current.smtp ?? {}), ...input.smtp }, 'smtp', current.smtp ?? { port: 587, tls: 3 }) : current.smtp,
    username: input.username === undefined ? current.username : String(input.username),
    sync: input.sync ? checkSync(input.sync, current.sync) : current.sync,
  };
}

const IMAP_ONLY = ['imap', 'smtp', 'sync'] as const;
const JMAP_ONLY = ['sessionUrl', 'authType'] as const;

/** Settings of the other protocol are a mistake worth naming, not something to ignore. */
function checkFieldsOf(protocol: 'imap' | 'jmap', input: RemoteAccountInput): void {
  for (const field of protocol === 'jmap' ? IMAP_ONLY : JMAP_ONLY) {
    if (input[field] !== undefined) throw invalid(field, `applies to ${protocol === 'jmap' ? 'IMAP' : 'JMAP'} accounts only`);
  }
}

/**
 * Remote accounts (DESIGN.md §6): their settings (upstream password sealed with the server key),
 * their place in a user's pool, and the sync state of mirrored IMAP accounts, whose sync runs
 * in the workers a SyncRunner keeps. JMAP accounts are proxied (JmapProxy), so they have none.
 */
export class RemoteAccountService {
  private runner: SyncRunner | null = null;

  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    private readonly mailboxes: MailboxService,
    private readonly box: SecretBox,
    private readonly discovery: DiscoveryOptions,
    /** What upstream certificates are checked against when not Node's roots (ImapLogin.ca). */
    private readonly ca: string | string[] | undefined,
    private readonly log?: Logger,
  ) {}

  attach(runner: SyncRunner): void {
    this.runner = runner;
  }

  /**
   * Adds an account. An IMAP account starts mirroring; without an IMAP host its servers are
   * discovered from the address (RFC 6186 SRV records, then autoconfig). A JMAP account is
   * checked against its upstream Session, which names the upstream account to proxy to.
   */
  async create(owner: RemoteOwner, input: RemoteAccountInput, externalId: string | null = null): Promise<RemoteAccountView> {
    const protocol = input.protocol ?? 'imap';
    if (protocol !== 'imap' && protocol !== 'jmap') throw invalid('protocol', 'must be "imap" or "jmap"');
    checkFieldsOf(protocol, input);
    const email = checkEmail(input.email);
    const name = input.name === undefined ? email : checkDisplayName(input.name);
    if (!name) throw invalid('name', 'must not be empty');
    const username = input.username === undefined || input.username === '' ? email : String(input.username);
    if (typeof input.password !== 'string' || input.password.length === 0) throw invalid('password', 'is required');
    const password = input.password;
    const settings: ImapSettings | JmapSettings =
      protocol === 'jmap'
        ? await this.jmapSettings({ sessionUrl: checkSessionUrl(input.sessionUrl), authType: checkAuthType(input.authType), username }, password)
        : { ...(await this.servers(email, input)), username, sync: checkSync(input.sync ?? {}, DEFAULT_SYNC) };
    if (externalId !== null && (await remoteRepo.byExternalId(this.store.db, externalId))) throw conflict(`account ${externalId} already exists`);
    const now = Date.now();
    const accountId = newId('a');
    const insert = async (w: WriteContext, principalId: string, primary: boolean) => {
      await directoryRepo.insertAccount(w.trx, { id: accountId, principal_id: principalId, kind: protocol, name, is_primary: primary ? 1 : 0, created_at: now });
      await remoteRepo.insertAccount(w.trx, {
        account_id: accountId,
        num: await remoteRepo.nextNum(w.trx),
        external_id: externalId,
        protocol,
        email,
        settings_json: JSON.stringify(settings),
        secret: this.box.seal(password),
        // A proxied account has nothing to sync: it is ready as soon as its Session answered.
        status: protocol === 'jmap' ? 'idle' : 'new',
        progress_json: null,
        last_sync_at: null,
        last_error: null,
        last_error_at: null,
        lease_owner: null,
        lease_until: 0,
        write_owner: null,
        write_until: 0,
        created_at: now,
        updated_at: now,
      });
    };
    try {
      if ('newUser' in owner) await this.directory.createMirrorUser(owner.newUser, (w, principalId) => insert(w, principalId, true));
      else {
        const user = await this.directory.getUser(owner.userRef);
        await this.store.write((w) => insert(w, user.id, false));
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`account ${externalId ?? email} already exists`);
      throw err;
    }
    if (protocol === 'imap') this.runner?.ensure(accountId);
    return this.get(accountId);
  }

  private async jmapSettings(conn: Connection, secret: string): Promise<JmapSettings> {
    const facts = await fetchSession(conn, secret);
    this.log?.info({ sessionUrl: conn.sessionUrl, apiUrl: facts.apiUrl, upstreamAccountId: facts.upstreamAccountId }, 'upstream JMAP account found');
    return { ...conn, ...facts };
  }

  private async servers(email: string, input: RemoteAccountInput): Promise<Pick<ImapSettings, 'imap' | 'smtp'>> {
    const smtp = input.smtp ? checkServer(input.smtp, 'smtp', { port: 587, tls: 3 }) : null;
    if (input.imap?.host !== undefined && input.imap.host !== null && input.imap.host !== '') {
      return { imap: checkServer(input.imap, 'imap', { port: 993, tls: 2 }), smtp };
    }
    const found = await discover(email, this.discovery);
    if (!found) throw invalid('imap.host', `no IMAP server could be discovered for ${email} (no SRV records, no autoconfig): give the host`);
    this.log?.info({ email, source: found.source, host: found.imap.host }, 'discovered upstream servers');
    return { imap: found.imap, smtp: smtp ?? found.smtp };
  }

  async list(userRef?: string): Promise<RemoteAccountView[]> {
    const userId = userRef === undefined ? undefined : (await this.directory.getUser(userRef)).id;
    const rows = await remoteRepo.list(this.store.db, userId);
    const counts = await remoteRepo.counts(this.store.db, rows.map((r) => r.account_id));
    return rows.map((r) => view(r, counts.get(r.account_id)));
  }

  /** When each account last finished a pass; cheap enough for every metrics scrape, unlike list(). */
  async lastSyncs(): Promise<Pick<RemoteAccountView, 'id' | 'externalId' | 'lastSyncAt'>[]> {
    return (await remoteRepo.list(this.store.db)).map((r) => ({ id: r.account_id, externalId: r.external_id, lastSyncAt: r.last_sync_at === null ? null : Number(r.last_sync_at) }));
  }

  async get(accountId: string): Promise<RemoteAccountView> {
    const row = await remoteRepo.withOwner(this.store.db, accountId);
    if (!row) throw notFound(`remote account ${accountId}`);
    return view(row, (await remoteRepo.counts(this.store.db, [accountId])).get(accountId));
  }

  async byExternalId(externalId: string): Promise<RemoteAccountView> {
    const row = await remoteRepo.byExternalId(this.store.db, externalId);
    if (!row) throw notFound(`account ${externalId}`);
    return this.get(row.account_id);
  }

  /**
   * Changes settings. A new server, login or folder choice reconnects an IMAP account's worker;
   * a JMAP account's new login or Session URL is checked against the upstream first.
   */
  async update(accountId: string, input: RemoteAccountInput): Promise<RemoteAccountView> {
    const row = await remoteRepo.account(this.store.db, accountId);
    if (!row) throw notFound(`remote account ${accountId}`);
    checkFieldsOf(row.protocol, input);
    if (input.password !== undefined && (typeof input.password !== 'string' || !input.password)) throw invalid('password', 'must not be empty');
    const settings =
      row.protocol === 'jmap'
        ? await this.nextJmap(JSON.parse(row.settings_json) as JmapSettings, input, input.password ?? (row.secret ? this.box.open(row.secret) : ''))
        : nextImap(JSON.parse(row.settings_json) as ImapSettings, input);
    const patch: Partial<RemoteAccountRow> = { settings_json: JSON.stringify(settings), updated_at: Date.now() };
    if (input.password !== undefined) patch.secret = this.box.seal(input.password);
    if (input.email !== undefined) patch.email = checkEmail(input.email);
    await this.store.write(async (w) => {
      await remoteRepo.update(w.trx, accountId, patch);
      if (input.name !== undefined) await w.trx.updateTable('accounts').set({ name: checkDisplayName(input.name) }).where('id', '=', accountId).execute();
    });
    if (row.protocol === 'imap') await this.runner?.restart(accountId);
    return this.get(accountId);
  }

  private async nextJmap(current: JmapSettings, input: RemoteAccountInput, secret: string): Promise<JmapSettings> {
    const conn: Connection = {
      sessionUrl: input.sessionUrl === undefined ? current.sessionUrl : checkSessionUrl(input.sessionUrl),
      authType: input.authType === undefined ? current.authType : checkAuthType(input.authType),
      username: input.username === undefined ? current.username : String(input.username),
    };
    const same = input.password === undefined && conn.sessionUrl === current.sessionUrl && conn.authType === current.authType && conn.username === current.username;
    return same ? current : this.jmapSettings(conn, secret);
  }

  /** Stops mirroring and deletes the local copy; the upstream mailbox is not touched. */
  async remove(accountId: string): Promise<void> {
    const row = await remoteRepo.withOwner(this.store.db, accountId);
    if (!row) throw notFound(`remote account ${accountId}`);
    await this.runner?.forget(accountId);
    const pool = await directoryRepo.poolOf(this.store.db, row.principal_id);
    await this.mailboxes.purgeAccount(accountId);
    await this.store.write(async (w) => {
      // A user made for this account alone (the JMAP proxy's accounts) goes with it.
      if (pool.length === 1 && pool[0].id === accountId) await directoryRepo.deletePrincipal(w.trx, row.principal_id);
      else await directoryRepo.deleteAccount(w.trx, accountId);
    });
  }

  /** Runs a pass now and resolves when it is done; rejects with the upstream's error. A proxied account has nothing to sync. */
  async sync(accountId: string): Promise<void> {
    const row = await remoteRepo.account(this.store.db, accountId);
    if (!row) throw notFound(`remote account ${accountId}`);
    if (row.protocol === 'jmap') return;
    if (!this.runner) throw new ServiceError('unavailable', 'mirroring is not running on this node');
    try {
      await this.runner.syncNow(accountId);
    } catch (err) {
      throw new ServiceError('upstream', (err as Error).message);
    }
  }

  /** Where mail sent as a mirrored IMAP account goes: its submission server, with its login. */
  async outgoingServer(accountId: string): Promise<Hop | null> {
    const found = await this.credentials(accountId);
    const smtp = found?.settings.smtp;
    return found && smtp ? { host: smtp.host, port: smtp.port, login: { user: found.settings.username, pass: found.password, tls: smtp.tls } } : null;
  }

  /** Settings and password of a mirrored IMAP account; null once the account is gone (or for a proxied one). */
  private async credentials(accountId: string): Promise<{ settings: ImapSettings; password: string } | null> {
    const row = await remoteRepo.account(this.store.db, accountId);
    if (!row || !row.secret || row.protocol !== 'imap') return null;
    return { settings: JSON.parse(row.settings_json) as ImapSettings, password: this.box.open(row.secret) };
  }

  /** What an IMAP session with the account's upstream needs: its settings and login, as stored now. */
  async imapLogin(accountId: string): Promise<{ settings: ImapSettings; login: ImapLogin } | null> {
    const c = await this.credentials(accountId);
    return c && { settings: c.settings, login: { server: c.settings.imap, username: c.settings.username, password: c.password, ca: this.ca } };
  }
}
