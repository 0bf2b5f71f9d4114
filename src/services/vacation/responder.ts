import type { Logger } from 'pino';
import { scanHeaders } from '../../mime/headers.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { vacationRepo } from '../../store/repos/vacation.ts';
import type { Store } from '../../store/store.ts';
import type { OutboundQueue } from '../outbound/queue.ts';
import { composeReply } from './compose.ts';
import { refusal } from './rules.ts';

/** One message that reached one account through delivery. */
export interface Delivered {
  mailFrom: string;
  /** The envelope recipient that led to this account (maybe an alias of the user). */
  recipient: string;
  accountId: string;
  principalId: string;
  data: Buffer;
}

/** alice+tag@x → alice@x: a sub-address is still the user's. */
const base = (address: string) => address.replace(/\+[^@]*@/, '@');

/**
 * Sends the account's vacation response (RFC 8621 §8) under RFC 3834's rules: only while enabled
 * and inside its dates, never to robots, lists, auto-submitted mail or the null sender, only when
 * the user is named as a recipient, and at most once per sender per period.
 */
export class VacationResponder {
  constructor(
    private readonly store: Store,
    private readonly queue: OutboundQueue,
    private readonly hostname: string,
    private readonly periodMs: number,
    private readonly log?: Logger,
  ) {}

  async consider(d: Delivered): Promise<void> {
    const settings = await vacationRepo.get(this.store.db, d.accountId);
    const now = Date.now();
    if (!settings || settings.is_enabled !== 1) return;
    if ((settings.from_date !== null && now < settings.from_date) || (settings.to_date !== null && now >= settings.to_date)) return;

    const [addresses, principal] = await Promise.all([directoryRepo.addressesOf(this.store.db, [d.principalId]), directoryRepo.principalById(this.store.db, d.principalId)]);
    const exact = new Set([...addresses.map((a) => a.address), base(d.recipient.toLowerCase())]);
    const wildcardDomains = new Set(addresses.filter((a) => a.address.startsWith('*@')).map((a) => a.address.slice(2)));
    const own = (address: string) => exact.has(base(address)) || wildcardDomains.has(address.slice(address.lastIndexOf('@') + 1));

    const subject = { mailFrom: d.mailFrom, raw: d.data, fields: scanHeaders(d.data, 0, d.data.length).fields };
    const why = refusal(subject, own);
    if (why) {
      this.log?.debug({ accountId: d.accountId, sender: d.mailFrom, why }, 'no vacation reply');
      return;
    }
    const sender = d.mailFrom.toLowerCase();
    const claimed = await this.store.write(async (w) => {
      const last = await vacationRepo.lastReply(w.trx, d.accountId, sender);
      if (last !== null && now - Number(last) < this.periodMs) return false;
      await vacationRepo.recordReply(w.trx, d.accountId, sender, now);
      return true;
    });
    if (!claimed) return;
    const main = addresses.find((a) => a.is_main === 1 && !a.address.startsWith('*@')) ?? addresses.find((a) => !a.address.startsWith('*@'));
    const from = { name: principal?.name ?? '', address: main?.display ?? d.recipient };
    const raw = await composeReply(subject, { from, to: d.mailFrom, settings, hostname: this.hostname });
    // The null reverse path: a reply to an auto-reply, or a bounce of one, must go nowhere (RFC 3834 §3.3).
    await this.queue.enqueue({ from: '', to: [d.mailFrom], raw, origin: 'vacation', accountId: d.accountId });
  }
}
