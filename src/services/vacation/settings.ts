import type { VacationResponseRow } from '../../store/db/schema.ts';
import { vacationRepo } from '../../store/repos/vacation.ts';
import type { Store } from '../../store/store.ts';
import { invalid } from '../errors.ts';

/** RFC 8621 §8: one VacationResponse per account, always there, id "singleton". */
export interface VacationView {
  id: 'singleton';
  isEnabled: boolean;
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

/** A checked change: dates as epoch milliseconds, absent properties unchanged. */
export interface VacationPatch {
  isEnabled?: boolean;
  fromDate?: number | null;
  toDate?: number | null;
  subject?: string | null;
  textBody?: string | null;
  htmlBody?: string | null;
}

export const VACATION_TYPE = 'VacationResponse';
const SETTABLE = ['isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'];
const MAX_BODY = 64 * 1024;
const UTC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const OFF: VacationResponseRow = { account_id: '', is_enabled: 0, from_date: null, to_date: null, subject: null, text_body: null, html_body: null };

const utc = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.000Z$/, 'Z'));

export function vacationView(row: VacationResponseRow): VacationView {
  return {
    id: 'singleton',
    isEnabled: row.is_enabled === 1,
    fromDate: utc(row.from_date),
    toDate: utc(row.to_date),
    subject: row.subject,
    textBody: row.text_body,
    htmlBody: row.html_body,
  };
}

function nullableText(v: unknown, field: string, max: number): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw invalid(field, 'must be a string or null');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return v;
}

function date(v: unknown, field: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'string' || !UTC_DATE.test(v) || Number.isNaN(Date.parse(v))) throw invalid(field, 'must be a UTCDate (YYYY-MM-DDThh:mm:ssZ) or null');
  return Date.parse(v);
}

/** Checks a client's patch; `id` may be sent only as "singleton" (it is immutable). */
export function readVacationPatch(raw: Record<string, unknown>): VacationPatch {
  const bad = Object.keys(raw).filter((k) => !SETTABLE.includes(k) && !(k === 'id' && raw.id === 'singleton'));
  if (bad.length) {
    const err = invalid(bad[0], 'cannot be set');
    err.fields.push(...bad.slice(1).map((field) => ({ field, message: 'cannot be set' })));
    throw err;
  }
  const out: VacationPatch = {};
  if ('isEnabled' in raw) {
    if (typeof raw.isEnabled !== 'boolean') throw invalid('isEnabled', 'must be true or false');
    out.isEnabled = raw.isEnabled;
  }
  for (const k of ['fromDate', 'toDate'] as const) if (k in raw) out[k] = date(raw[k], k);
  if ('subject' in raw) out.subject = nullableText(raw.subject, 'subject', 1000);
  if ('textBody' in raw) out.textBody = nullableText(raw.textBody, 'textBody', MAX_BODY);
  if ('htmlBody' in raw) out.htmlBody = nullableText(raw.htmlBody, 'htmlBody', MAX_BODY);
  return out;
}

/** Reads and changes an account's vacation response; changes are logged like any JMAP object. */
export class VacationService {
  constructor(private readonly store: Store) {}

  async get(accountId: string): Promise<VacationView> {
    return vacationView((await vacationRepo.get(this.store.db, accountId)) ?? { ...OFF, account_id: accountId });
  }

  /** The row delivery consults; absent means off. */
  async settings(accountId: string): Promise<VacationResponseRow | null> {
    return (await vacationRepo.get(this.store.db, accountId)) ?? null;
  }

  async update(accountId: string, patch: VacationPatch): Promise<VacationView> {
    return this.store.write(async (w) => {
      const current = (await vacationRepo.get(w.trx, accountId)) ?? { ...OFF, account_id: accountId };
      const next: VacationResponseRow = {
        account_id: accountId,
        is_enabled: patch.isEnabled === undefined ? current.is_enabled : patch.isEnabled ? 1 : 0,
        from_date: patch.fromDate === undefined ? current.from_date : patch.fromDate,
        to_date: patch.toDate === undefined ? current.to_date : patch.toDate,
        subject: patch.subject === undefined ? current.subject : patch.subject,
        text_body: patch.textBody === undefined ? current.text_body : patch.textBody,
        html_body: patch.htmlBody === undefined ? current.html_body : patch.htmlBody,
      };
      if (next.from_date !== null && next.to_date !== null && next.to_date <= next.from_date) throw invalid('toDate', 'must be after fromDate');
      await vacationRepo.upsert(w.trx, next);
      // A vacation switched on (again) answers everybody afresh, once per period.
      if (next.is_enabled === 1 && current.is_enabled === 0) await vacationRepo.forgetReplies(w.trx, accountId);
      await w.record(accountId, VACATION_TYPE, 'singleton', 'u');
      return vacationView(next);
    });
  }
}
