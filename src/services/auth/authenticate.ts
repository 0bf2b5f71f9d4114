import { setTimeout as sleep } from 'node:timers/promises';
import type { Trx } from '../../store/changes.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import type { Store } from '../../store/store.ts';
import type { DirectoryService, Principal } from '../directory/directory.ts';
import { burnVerify, verifyPassword } from '../directory/passwords.ts';
import { ServiceError } from '../errors.ts';
import type { AppPasswords } from './app-passwords.ts';
import type { AuthLog, AuthLogEntry } from './authlog.ts';
import type { Permission } from './permissions.ts';
import { throttleKeys, type AuthThrottle } from './throttle.ts';
import type { TotpService } from './totp.ts';

/** The faces a secret is presented on; each is an ASP scope and a `<protocol>-authenticate` permission. */
export type AuthProtocol = 'imap' | 'pop3' | 'smtp' | 'jmap' | 'api';

/** Mail protocols cannot ask for a second factor: with 2FA on they take app passwords only. */
const MAIL_PROTOCOLS: ReadonlySet<AuthProtocol> = new Set(['imap', 'pop3', 'smtp']);

export interface AuthRequest {
  login: string;
  secret: string;
  protocol: AuthProtocol;
  /** The client's address; counters and the log use it. */
  ip: string;
  /** How the secret came (LOGIN, PLAIN, basic, token, …), for the log. */
  mechanism?: string;
  /** A TOTP or recovery code sent along with the master password (HTTP logins). */
  totp?: string;
  /**
   * `master`: only the master password will do, and a missing second factor is reported
   * (require2fa) rather than refused: WildDuck's POST /authenticate with scope "master".
   */
  scope?: 'master';
  /** What the log records as the protocol when it is not `protocol` (POST /authenticate names its client's). */
  logProtocol?: string;
}

export type Credential = { kind: 'master' } | { kind: 'asp'; id: string };

export interface AuthSuccess {
  principal: Principal;
  credential: Credential;
  /** The master password matched but the account's second factor was not given yet. */
  require2fa: boolean;
}

export type RefusalReason = 'badCredentials' | 'throttled' | 'disabled' | 'notPermitted' | 'scope' | 'aspRequired' | 'totpRequired' | 'totpInvalid';

const MESSAGES: Record<RefusalReason, string> = {
  badCredentials: 'the credentials are not valid',
  throttled: 'too many failed logins; try again later',
  disabled: 'the credentials are not valid',
  notPermitted: 'this account may not log in here',
  scope: 'this application password is not valid for this protocol',
  aspRequired: 'two-factor authentication is on: use an application-specific password',
  totpRequired: 'two-factor authentication is on: send the TOTP code too',
  totpInvalid: 'the TOTP code is not valid or was already used',
};

/** A refused authentication: `unavailable` while throttled (try later), else `unauthenticated`. */
export class AuthRefused extends ServiceError {
  constructor(
    readonly reason: RefusalReason,
    /** When a throttled client may try again (epoch ms); 0 otherwise. */
    readonly retryAt = 0,
  ) {
    super(reason === 'throttled' ? 'unavailable' : 'unauthenticated', MESSAGES[reason]);
  }
}

const plainIp = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip) || 'unknown';

/** How many failed attempts may wait out their delay at once; past it they are answered at once. */
const MAX_WAITING = 256;

/**
 * The one place a secret becomes a principal, for every protocol (ADR 0024): the master
 * password or an application-specific password whose scopes cover the protocol, the
 * `<protocol>-authenticate` permission, the second factor, failure throttling, and one auth
 * log entry per attempt. A protocol added later calls authenticate() and needs nothing else.
 */
export class AuthService {
  private waiting = 0;

  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    readonly asps: AppPasswords,
    readonly totp: TotpService,
    readonly log: AuthLog,
    private readonly throttle: AuthThrottle,
  ) {}

  async authenticate(req: AuthRequest): Promise<AuthSuccess> {
    const now = Date.now();
    const ip = plainIp(req.ip);
    const login = req.login.trim().toLowerCase();
    const row = login.length > 0 && login.length <= 320 ? await this.principalRow(login) : undefined;
    const keys = throttleKeys(row?.id ?? `login:${login.slice(0, 320)}`, ip);
    const entry = {
      principalId: row?.id ?? null,
      login,
      action: 'authenticate',
      protocol: req.logProtocol ?? req.protocol,
      mechanism: req.mechanism ?? null,
      scope: req.scope ?? req.protocol,
      ip,
    };

    const lockedUntil = await this.throttle.lockedUntil(this.store.db, keys, now);
    if (lockedUntil > 0) {
      await this.store.write((w) => this.log.record(w.trx, { ...entry, result: 'fail', reason: 'throttled' }, now));
      throw new AuthRefused('throttled', lockedUntil);
    }

    const refuse = async (reason: RefusalReason, aspId: string | null = null): Promise<never> => {
      const counted = await this.store.write(async (w) => {
        await this.log.record(w.trx, { ...entry, result: 'fail', reason, aspId }, now);
        return this.throttle.fail(w.trx, keys, now);
      });
      await this.delay(this.throttle.delayFor(counted.failures));
      throw new AuthRefused(reason);
    };

    if (!row || req.secret.length === 0 || req.secret.length > 1024) {
      await burnVerify(req.secret.slice(0, 1024));
      return refuse('badCredentials');
    }
    const asp = req.scope === 'master' ? null : await this.asps.match(row.id, req.secret);
    if (!asp && !(await verifyPassword(row.password_hash, req.secret))) return refuse('badCredentials');
    if (row.disabled === 1) return refuse('disabled', asp?.id);
    const principal = await this.directory.principal(row.id);
    if (!principal) return refuse('disabled', asp?.id);
    const permission: Permission = req.scope === 'master' ? 'authenticate' : `${req.protocol}-authenticate`;
    if (!principal.permissions.has(permission)) return refuse('notPermitted', asp?.id);
    if (asp && !asp.scopes.includes('*') && !asp.scopes.includes(req.protocol)) return refuse('scope', asp.id);

    let require2fa = false;
    if (!asp && (await this.totp.enabled(row.id))) {
      if (MAIL_PROTOCOLS.has(req.protocol) && req.scope !== 'master') return refuse('aspRequired');
      if (req.totp === undefined || req.totp === '') {
        if (req.scope !== 'master') return refuse('totpRequired');
        require2fa = true;
      } else {
        const second = await this.store.write((w) => this.totp.consume(w.trx, row.id, req.totp!));
        if (second === 'invalid' || second === 'notEnabled') return refuse('totpInvalid');
      }
    }

    await this.store.write(async (w) => {
      await this.log.record(w.trx, { ...entry, result: 'success', aspId: asp?.id ?? null, reason: require2fa ? 'require2fa' : null }, now);
      await this.throttle.succeed(w.trx, keys);
      if (asp) await this.asps.touch(w.trx, asp.id, ip, now);
    });
    return { principal, credential: asp ? { kind: 'asp', id: asp.id } : { kind: 'master' }, require2fa };
  }

  /**
   * Checks a second-factor code for an account outside a login (the 2FA check route), counted
   * and logged like a login so codes cannot be guessed there at speed.
   */
  async checkSecondFactor(principal: Principal, token: string, ip: string, action = 'check 2fa'): Promise<'totp' | 'recovery'> {
    const now = Date.now();
    const addr = plainIp(ip);
    const keys = throttleKeys(principal.id, addr);
    const entry = { principalId: principal.id, login: principal.username, action, protocol: 'api', ip: addr };
    const lockedUntil = await this.throttle.lockedUntil(this.store.db, keys, now);
    if (lockedUntil > 0) {
      await this.store.write((w) => this.log.record(w.trx, { ...entry, result: 'fail', reason: 'throttled' }, now));
      throw new AuthRefused('throttled', lockedUntil);
    }
    const outcome = await this.store.write(async (w) => {
      const result = await this.totp.consume(w.trx, principal.id, token);
      const ok = result === 'totp' || result === 'recovery';
      await this.log.record(w.trx, { ...entry, result: ok ? 'success' : 'fail', reason: ok ? result : result === 'notEnabled' ? 'notEnabled' : 'totpInvalid' }, now);
      if (result === 'invalid') return { result, failures: (await this.throttle.fail(w.trx, keys, now)).failures };
      return { result, failures: 0 };
    });
    if (outcome.result === 'notEnabled') throw new ServiceError('conflict', 'two-factor authentication is not enabled');
    if (outcome.result === 'invalid') {
      await this.delay(this.throttle.delayFor(outcome.failures));
      throw new ServiceError('forbidden', MESSAGES.totpInvalid);
    }
    return outcome.result;
  }

  /**
   * A login whose credential another service checked (an OAuth access token on a mail protocol),
   * so the auth log still holds every attempt on every protocol.
   */
  async recordLogin(e: Omit<AuthLogEntry, 'action' | 'ip'> & { ip: string }): Promise<void> {
    // A refused attempt names only a login; it belongs in that account's log all the same.
    const login = e.login.trim().toLowerCase();
    const principalId = e.principalId ?? (login && login.length <= 320 ? ((await this.principalRow(login))?.id ?? null) : null);
    await this.store.write((w) => this.log.record(w.trx, { ...e, principalId, action: 'authenticate', ip: plainIp(e.ip) }));
  }

  /** Logged credential changes (ASPs, 2FA) with their write, in one transaction. */
  async change<T>(principal: Principal, action: string, ip: string, fn: (trx: Trx) => Promise<T>, aspId?: (value: T) => string | null): Promise<T> {
    return this.store.write(async (w) => {
      const value = await fn(w.trx);
      await this.log.record(w.trx, { principalId: principal.id, login: principal.username, action, result: 'success', protocol: 'api', ip: plainIp(ip), aspId: aspId?.(value) ?? null });
      return value;
    });
  }

  /** Drops auth log entries past retention and counters that ran out. */
  async prune(): Promise<number> {
    const now = Date.now();
    return this.store.write(async (w) => {
      await this.throttle.prune(w.trx, now);
      return this.log.prune(w.trx, now);
    });
  }

  /**
   * A failed attempt is answered late, so guessing is slow; the wait is bounded per attempt and
   * in how many attempts wait at once, so a flood of connections cannot pile up timers.
   */
  private async delay(ms: number): Promise<void> {
    if (ms <= 0 || this.waiting >= MAX_WAITING) return;
    this.waiting++;
    try {
      await sleep(ms);
    } finally {
      this.waiting--;
    }
  }

  private async principalRow(login: string) {
    const db = this.store.db;
    return (await directoryRepo.principalByUsername(db, login)) ?? (login.includes('@') ? await directoryRepo.principalByAddress(db, login) : undefined);
  }
}
