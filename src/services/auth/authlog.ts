import type { Trx } from '../../store/changes.ts';
import type { AuthLogRow } from '../../store/db/schema.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { decodeCursor, isString, pageLimit, pageOf, type Page, type PageRequest } from '../paging.ts';

/** What an auth log entry records; the id and time are added when it is written. */
export interface AuthLogEntry {
  principalId: string | null;
  login: string;
  /** `authenticate`, or a credential change: `create asp`, `delete asp`, `enable 2fa`, `disable 2fa`, `check 2fa`. */
  action: string;
  result: 'success' | 'fail';
  reason?: string | null;
  protocol: string;
  mechanism?: string | null;
  scope?: string | null;
  aspId?: string | null;
  ip?: string | null;
}

export interface AuthLogView {
  id: string;
  action: string;
  result: string;
  reason: string | null;
  protocol: string;
  mechanism: string | null;
  scope: string | null;
  asp: string | null;
  ip: string | null;
  login: string;
  created: string;
}

const DAY_MS = 86_400_000;

function view(r: AuthLogRow): AuthLogView {
  return {
    id: r.id,
    action: r.action,
    result: r.result,
    reason: r.reason,
    protocol: r.protocol,
    mechanism: r.mechanism,
    scope: r.scope,
    asp: r.asp_id,
    ip: r.ip,
    login: r.login,
    created: new Date(r.created_at).toISOString(),
  };
}

/**
 * Every authentication attempt and credential change, per principal (WildDuck's authlog).
 * An entry is one insert in the transaction that already records the attempt's outcome
 * (throttle counters, ASP last use), so logging adds no round trip of its own.
 */
export class AuthLog {
  constructor(
    private readonly store: Store,
    private readonly retentionDays: number,
  ) {}

  async record(trx: Trx, e: AuthLogEntry, now = Date.now()): Promise<void> {
    await trx
      .insertInto('authlog')
      .values({
        id: newId('j'),
        principal_id: e.principalId,
        login: e.login.slice(0, 320),
        action: e.action,
        result: e.result,
        reason: e.reason ?? null,
        protocol: e.protocol,
        mechanism: e.mechanism ?? null,
        scope: e.scope ?? null,
        asp_id: e.aspId ?? null,
        ip: e.ip ?? null,
        created_at: now,
      })
      .execute();
  }

  /** A principal's entries, newest first. */
  async list(principalId: string, req: PageRequest): Promise<Page<AuthLogView>> {
    const limit = pageLimit(req.limit);
    const before = decodeCursor(req.cursor, isString);
    let q = this.store.db.selectFrom('authlog').selectAll().where('principal_id', '=', principalId);
    if (before) q = q.where('id', '<', before);
    const [rows, count] = await Promise.all([
      q.orderBy('id', 'desc').limit(limit + 1).execute(),
      this.store.db.selectFrom('authlog').select((eb) => eb.fn.countAll<number>().as('n')).where('principal_id', '=', principalId).executeTakeFirstOrThrow(),
    ]);
    return pageOf(rows, limit, Number(count.n), view, (r) => r.id);
  }

  async prune(trx: Trx, now: number): Promise<number> {
    const res = await trx.deleteFrom('authlog').where('created_at', '<', now - this.retentionDays * DAY_MS).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
