import { directoryRepo } from '../../store/repos/directory.ts';
import type { IdentityRow } from '../../store/db/schema.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { senderRoute } from '../directory/senders.ts';
import type { Db } from '../../store/db/connect.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import { notFound, ServiceError } from '../errors.ts';
import { identityRepo } from '../../store/repos/identities.ts';
import { type EmailAddress, type IdentityInput } from './validate.ts';

export { readIdentityInput, type EmailAddress, type IdentityInput } from './validate.ts';

export interface IdentityView {
  id: string;
  name: string;
  email: string;
  replyTo: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  textSignature: string;
  htmlSignature: string;
  mayDelete: boolean;
}

/** Whose identities: the principal owns the addresses, the account holds the records. */
export interface IdentityOwner {
  id: string;
  accountId: string;
}

const TYPE = 'Identity';

const parse = (json: string | null) => (json === null ? null : (JSON.parse(json) as EmailAddress[]));
const json = (v: EmailAddress[] | null | undefined) => (v === undefined || v === null ? null : JSON.stringify(v));

function view(row: IdentityRow): IdentityView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    replyTo: parse(row.reply_to_json),
    bcc: parse(row.bcc_json),
    textSignature: row.text_signature,
    htmlSignature: row.html_signature,
    // Every identity, the default one too, can go: a later Identity/get recreates the default.
    mayDelete: true,
  };
}

// util/ids.ts has no identity prefix; same time-sortable shape, own first letter.
const identityId = () => 'i' + newId('x').slice(1);

/** JMAP Identities (RFC 8621 §6): the From addresses a user may send as, with signatures. */
export class IdentityService {
  constructor(private readonly store: Store) {}

  /** All identities of the account; the first call creates a default one for the main address. */
  async list(owner: IdentityOwner): Promise<IdentityView[]> {
    const rows = await this.listRows(owner.accountId);
    if (rows.length > 0) return rows.map(view);
    await this.store.write(async (w) => {
      // Bumping the modseq locks the account row, so concurrent first reads create one default.
      await w.modseq(owner.accountId);
      if ((await identityRepo.count(w.trx, owner.accountId)) > 0) return;
      const principal = await directoryRepo.principalById(w.trx, owner.id);
      const email = await this.defaultAddress(w.trx, owner);
      if (!email) return;
      const row = this.row(owner.accountId, { name: principal?.name ?? '', email });
      await identityRepo.insert(w.trx, row);
      await w.record(owner.accountId, TYPE, row.id, 'c');
    });
    return (await this.listRows(owner.accountId)).map(view);
  }

  async create(owner: IdentityOwner, input: IdentityInput): Promise<IdentityView> {
    const email = await this.allowedFrom(owner, input.email ?? '');
    const row = this.row(owner.accountId, { ...input, email });
    await this.store.write(async (w) => {
      await identityRepo.insert(w.trx, row);
      await w.record(owner.accountId, TYPE, row.id, 'c');
    });
    return view(row);
  }

  async update(accountId: string, id: string, input: IdentityInput): Promise<IdentityView> {
    const patch: Partial<IdentityRow> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.replyTo !== undefined) patch.reply_to_json = json(input.replyTo);
    if (input.bcc !== undefined) patch.bcc_json = json(input.bcc);
    if (input.textSignature !== undefined) patch.text_signature = input.textSignature;
    if (input.htmlSignature !== undefined) patch.html_signature = input.htmlSignature;
    return this.store.write(async (w) => {
      const row = await identityRepo.get(w.trx, accountId, id);
      if (!row) throw notFound(`identity ${id}`);
      if (Object.keys(patch).length === 0) return view(row);
      await identityRepo.update(w.trx, accountId, id, patch);
      await w.record(accountId, TYPE, id, 'u');
      return view({ ...row, ...patch });
    });
  }

  async destroy(accountId: string, id: string): Promise<void> {
    await this.store.write(async (w) => {
      const res = await identityRepo.remove(w.trx, accountId, id);
      if (Number(res.numDeletedRows) === 0) throw notFound(`identity ${id}`);
      await w.record(accountId, TYPE, id, 'd');
    });
  }

  private async listRows(accountId: string): Promise<IdentityRow[]> {
    return identityRepo.list(this.store.db, accountId);
  }

  /** A mirrored account's own address; for a local account, the principal's main address. */
  private async defaultAddress(db: Db, owner: IdentityOwner): Promise<string | null> {
    const mirrored = await remoteRepo.account(db, owner.accountId);
    if (mirrored) return mirrored.protocol === 'imap' ? mirrored.email : null;
    const addresses = await directoryRepo.addressesOf(db, [owner.id]);
    const main = addresses.find((a) => a.is_main === 1 && !a.address.startsWith('*@')) ?? addresses.find((a) => !a.address.startsWith('*@'));
    return main?.display ?? null;
  }

  private async allowedFrom(owner: IdentityOwner, email: string): Promise<string> {
    const route = await senderRoute(this.store.db, owner.id, owner.accountId, email);
    if (route.via !== 'refused') return route.address;
    throw new ServiceError('forbidden', route.reason, [{ field: 'email', message: 'not an address this account may send as' }]);
  }

  private row(accountId: string, input: IdentityInput & { email: string }): IdentityRow {
    return {
      id: identityId(),
      account_id: accountId,
      name: input.name ?? '',
      email: input.email,
      reply_to_json: json(input.replyTo),
      bcc_json: json(input.bcc),
      text_signature: input.textSignature ?? '',
      html_signature: input.htmlSignature ?? '',
      created_at: Date.now(),
    };
  }
}
