import { randomBytes } from 'node:crypto';
import type { PushSubscriptionRow } from '../../store/db/schema.ts';
import { pushRepo } from '../../store/repos/push.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { invalid, notFound, ServiceError } from '../errors.ts';
import { PushDelivery, type PushLog } from './delivery.ts';
import { httpPushSender, type PushSender } from './sender.ts';
import type { PushInput } from './validate.ts';

/** What PushSubscription/get may show: url and keys never leave the server (RFC 8620 §7.2.1). */
export interface PushView {
  id: string;
  deviceClientId: string;
  /** The code as the client set it: null until the subscription is verified. */
  verificationCode: string | null;
  expires: string;
  types: string[] | null;
}

/** Who owns subscriptions: the principal that authenticated; a subscription watches its whole pool. */
export interface PushOwner {
  id: string;
  accountId: string;
}

// Basic auth and bearer tokens are not time-bounded, so RFC 8620 §7.2 asks for a bounded expiry.
export const MAX_LIFETIME_MS = 7 * 24 * 3600_000;
const MAX_PER_PRINCIPAL = 50;

const utcDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function view(row: PushSubscriptionRow): PushView {
  return {
    id: row.id,
    deviceClientId: row.device_client_id,
    verificationCode: row.verified === 1 ? row.verification_code : null,
    expires: utcDate(row.expires),
    types: row.types_json === null ? null : (JSON.parse(row.types_json) as string[]),
  };
}

// Whole seconds, since UTCDate on the wire has no fraction; the clamp never exceeds the maximum.
function lifetime(requested: number | null | undefined, now: number): number {
  const max = Math.floor((now + MAX_LIFETIME_MS) / 1000) * 1000;
  if (requested === undefined || requested === null) return max;
  if (requested <= now) throw invalid('expires', 'must be in the future');
  return Math.min(Math.floor(requested / 1000) * 1000, max);
}

const pushId = () => 's' + newId('x').slice(1);

/**
 * JMAP push subscriptions (RFC 8620 §7.2). Not account data: no change log entries, no state.
 * Deliveries start from the constructor (subscriptions verified before a restart) and stop on stop().
 */
export class PushService {
  private readonly delivery: PushDelivery;
  private readonly ready: Promise<void>;

  constructor(
    private readonly store: Store,
    send: PushSender = httpPushSender,
    log: PushLog = (message, err) => console.warn(`gannet push: ${message}`, err ?? ''),
  ) {
    this.delivery = new PushDelivery(store, send, log);
    this.ready = this.delivery.start().catch((err) => log('could not resume push subscriptions', err));
  }

  async list(owner: PushOwner): Promise<PushView[]> {
    const now = Date.now();
    await pushRepo.removeExpired(this.store.db, now);
    return (await pushRepo.list(this.store.db, owner.id, now)).map(view);
  }

  async create(owner: PushOwner, input: PushInput): Promise<PushView> {
    if ((await pushRepo.countForPrincipal(this.store.db, owner.id)) >= MAX_PER_PRINCIPAL) {
      throw new ServiceError('overQuota', `at most ${MAX_PER_PRINCIPAL} push subscriptions per user`);
    }
    const now = Date.now();
    const row: PushSubscriptionRow = {
      id: pushId(),
      principal_id: owner.id,
      account_id: owner.accountId,
      device_client_id: input.deviceClientId!,
      url: input.url!,
      verification_code: randomBytes(16).toString('hex'),
      verified: 0,
      expires: lifetime(input.expires, now),
      types_json: input.types ? JSON.stringify(input.types) : null,
      keys_json: input.keys ? JSON.stringify(input.keys) : null,
      created_at: now,
    };
    await pushRepo.insert(this.store.db, row);
    this.delivery.verify(row);
    return view(row);
  }

  async update(owner: PushOwner, id: string, input: PushInput): Promise<PushView> {
    const now = Date.now();
    const row = await pushRepo.get(this.store.db, owner.id, id, now);
    if (!row) throw notFound(`push subscription ${id}`);
    const patch: Partial<PushSubscriptionRow> = {};
    if (input.verificationCode !== undefined) {
      // A null code cannot un-verify: only the code that was pushed is accepted.
      if (input.verificationCode !== row.verification_code) throw invalid('verificationCode', 'does not match the code pushed to the url');
      patch.verified = 1;
    }
    if (input.expires !== undefined) patch.expires = lifetime(input.expires, now);
    if (input.types !== undefined) patch.types_json = input.types === null ? null : JSON.stringify(input.types);
    if (Object.keys(patch).length === 0) return view(row);
    await pushRepo.update(this.store.db, owner.id, id, patch);
    this.delivery.reset(id);
    const next = { ...row, ...patch };
    if (next.verified === 1) this.delivery.watch(next.principal_id);
    return view(next);
  }

  /** Deleting the row erases the url (RFC 8620 §7.2: as soon as possible). */
  async destroy(owner: PushOwner, id: string): Promise<void> {
    const row = await pushRepo.get(this.store.db, owner.id, id, Date.now());
    const res = await pushRepo.remove(this.store.db, owner.id, id);
    if (!row || Number(res.numDeletedRows) === 0) throw notFound(`push subscription ${id}`);
    this.delivery.reset(id);
    await this.delivery.release(row.principal_id);
  }

  async stop(): Promise<void> {
    await this.ready;
    await this.delivery.stop();
  }
}
