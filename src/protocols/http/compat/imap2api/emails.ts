import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../../services/directory/directory.ts';
import type { PoolFilter, PoolFolder } from '../../../../services/mail/pool-mail.ts';
import type { RemoteAccountView } from '../../../../services/remote/accounts.ts';
import type { EmailSortColumn } from '../../../../store/repos/mail.ts';
import type { ListenerContext } from '../../../shared/listener.ts';
import type { App } from '../../app.ts';
import { requireUser } from './auth.ts';
import { emailDetail, listItem, threadEmail, threadItem } from './email-views.ts';
import { detail, fieldErrors, NOT_FOUND } from './errors.ts';
import { pageWindow, paginated } from './pages.ts';
import { needs } from '../../route-permission.ts';

const DAY_MS = 86_400_000;
/** Messages a thread view shows at most, oldest first (each is read and parsed for its bodies). */
const THREAD_LIMIT = 100;

// "date" is when the message arrived (the upstream's INTERNALDATE): indexed, and never missing.
const ORDERING: Record<string, EmailSortColumn> = { date: 'received_at', subject: 'subject_norm', sender: 'from_json', recipient: 'to_json' };
const NEWEST_FIRST = [{ column: 'received_at' as const, asc: false }];

const text = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const ListQuery = Type.Object({
  q: text(1000),
  folder: text(1000),
  imap_server: text(32),
  date_from: text(32),
  date_to: text(32),
  thread: text(8),
  ordering: text(200),
  page: text(32),
  page_size: text(32),
});
type ListQuery = Static<typeof ListQuery>;

const Params = Type.Object({ id: Type.String({ maxLength: 32 }) });

/**
 * DRF's OrderingFilter: comma-separated fields, `-` for descending; unknown fields are ignored.
 * Ties go newest first, as in a mail client's list.
 */
function ordering(value: string | undefined) {
  const sort = (value ?? '').split(',').flatMap((term) => {
    const t = term.trim();
    const column = ORDERING[t.replace(/^-/, '')];
    return column ? [{ column, asc: !t.startsWith('-') }] : [];
  });
  return sort.some((s) => s.column === 'received_at') ? sort : [...sort, ...NEWEST_FIRST];
}

/** The mirrored accounts of the user's pool: what IMAP2API shows. */
const mirrored = (p: Principal) => p.accounts.filter((a) => a.kind === 'imap').map((a) => a.id);

/**
 * The filters of a list, as django-filter reads them: empty values filter nothing, bad ones are
 * field errors. `servers` is needed only for an imap_server filter.
 */
function listFilter(q: ListQuery, accounts: string[], servers: RemoteAccountView[]): { accountIds: string[]; filter: PoolFilter; threads: boolean } {
  const errors: Record<string, string[]> = {};
  let accountIds = accounts;
  if (q.imap_server) {
    const server = servers.find((s) => /^\d{1,15}$/.test(q.imap_server!) && s.num === Number(q.imap_server));
    if (server) accountIds = [server.id];
    else errors.imap_server = ['Select a valid choice. That choice is not one of the available choices.'];
  }
  const day = (field: string, value: string | undefined) => {
    if (!value) return undefined;
    const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) errors[field] = ['Enter a valid date.'];
    return t;
  };
  const from = day('date_from', q.date_from);
  const to = day('date_to', q.date_to);
  let threads = false;
  if (q.thread) {
    const v = q.thread.toLowerCase();
    if (['true', '1'].includes(v)) threads = true;
    else if (!['false', '0'].includes(v)) errors.thread = ['Must be a valid boolean.'];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  // date_to names a whole day (UTC): everything before the next one.
  return { accountIds, filter: { text: q.q || undefined, folder: q.folder || undefined, after: from, before: to === undefined ? undefined : to + DAY_MS }, threads };
}

/** Folder paths, INBOX first, then in code point order, each once however many accounts have it. */
function folderCounts(folders: PoolFolder[]): Map<string, number> {
  const sorted = [...folders].sort((a, b) => Number(b.path === 'INBOX') - Number(a.path === 'INBOX') || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out = new Map<string, number>();
  for (const f of sorted) out.set(f.path, (out.get(f.path) ?? 0) + f.total);
  return out;
}

/** `/emails/`: the mail of the user's mirrored accounts, as one list. */
export function emailRoutes(app: App, { services, config }: ListenerContext): void {
  const { poolMail } = services;
  const accountIds = (req: FastifyRequest) => mirrored(requireUser(req));

  const list = async (req: FastifyRequest, query: ListQuery, collapse: boolean) => {
    const principal = requireUser(req);
    const w = pageWindow(query);
    const servers = query.imap_server ? await services.remotes.list(principal.id) : [];
    const { accountIds, filter, threads } = listFilter(query, mirrored(principal), servers);
    const { emails, total } = await poolMail.query(accountIds, filter, { sort: ordering(query.ordering), offset: w.offset, limit: w.size, threads: collapse || threads });
    return paginated(req, config.hostname, w, total, emails.map(collapse ? threadItem : listItem));
  };

  app.get('/emails/', { ...needs('mail-read'), schema: { querystring: ListQuery } }, (req) => list(req, req.query, false));
  app.get('/emails/threads/', { ...needs('mail-read'), schema: { querystring: ListQuery } }, (req) => list(req, req.query, true));

  app.get('/emails/folders/', needs('mail-read'), async (req) => [...folderCounts(await poolMail.folders(accountIds(req))).keys()]);

  app.get('/emails/statistics/', needs('mail-read'), async (req) => {
    const ids = accountIds(req);
    const [totals, folders] = await Promise.all([poolMail.totals(ids), poolMail.folders(ids)]);
    return { total_emails: totals.emails, total_threads: totals.threads, folders: Object.fromEntries(folderCounts(folders)) };
  });

  const email = async (req: FastifyRequest, id: string) => {
    const ids = accountIds(req);
    if (!/^\d{1,15}$/.test(id)) throw detail(404, NOT_FOUND);
    const found = await poolMail.get(ids, Number(id));
    return { found, thread: await poolMail.thread(found.accountId, found.threadId, THREAD_LIMIT) };
  };

  app.get('/emails/:id/', { ...needs('mail-read'), schema: { params: Params } }, async (req) => {
    const { found, thread } = await email(req, req.params.id);
    return emailDetail(found, thread.filter((t) => t.num !== found.num));
  });

  app.get('/emails/:id/thread/', { ...needs('mail-read'), schema: { params: Params } }, async (req) => (await email(req, req.params.id)).thread.map(threadEmail));
}
