import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import yazl from 'yazl';
import type { Principal } from '../directory/directory.ts';
import { ServiceError } from '../errors.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import type { MessageService } from '../mail/messages.ts';
import type { MailboxView, MessageSummary } from '../mail/views.ts';
import { GENERATOR, keywordToFlag, PDPA_VERSION, segmentOf, specialUseOf, type FolderItem, type FolderJson } from './format.ts';

/** Messages fetched per query; also how far the producer runs ahead of the zip writer. */
export const EXPORT_PAGE = 200;

export interface ExportDeps {
  mailboxes: MailboxService;
  messages: MessageService;
  hostname: string;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n');

/** Directory of each mailbox under mail/, built from encoded segments so any name is a safe path. */
function folderPaths(boxes: MailboxView[]): Map<string, string> {
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const out = new Map<string, string>();
  for (const b of boxes) {
    const segs: string[] = [];
    for (let cur: MailboxView | undefined = b, i = 0; cur && i < 64; i++) {
      segs.unshift(segmentOf(cur.name));
      cur = cur.parentId ? byId.get(cur.parentId) : undefined;
    }
    out.set(b.id, `mail/${segs.join('/')}`);
  }
  return out;
}

/**
 * Streams an account as a PDPA zip. Nothing but one page of message summaries and one folder's
 * item list is held: each .eml entry opens its blob stream only when yazl reaches it, and the
 * next page is fetched only once yazl has reached the last entry of the current one.
 */
export function exportAccount(deps: ExportDeps, principal: Principal): Readable {
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  zip.outputStream.on('error', (err: Error) => out.destroy(err));
  zip.outputStream.pipe(out);
  // A client that hangs up stops the producer instead of leaving it waiting on a stalled zip.
  const closed = new Promise<void>((resolve) => out.once('close', resolve));
  produce(deps, principal, zip, closed).catch((err: Error) => out.destroy(err));
  return out;
}

async function produce(deps: ExportDeps, principal: Principal, zip: yazl.ZipFile, closed: Promise<void>): Promise<void> {
  let gone = false;
  void closed.then(() => (gone = true));
  const accountId = principal.accountId;
  const now = new Date();
  zip.addBuffer(
    json({
      archive: {
        id: randomUUID(),
        name: `${principal.username} data export (${now.toISOString().slice(0, 10)})`,
        timestamp: now.toISOString(),
        version: PDPA_VERSION,
        generator: GENERATOR,
      },
      dataset: { extent: 'FULL', datatypes: ['MAIL'], languagetag: 'und', timezone: 'UTC' },
      datasource: { service: deps.hostname, account: principal.username, accountId },
    }),
    'archive.json',
    { mtime: now },
  );
  const boxes = await deps.mailboxes.list(accountId);
  const paths = folderPaths(boxes);
  // Seed rule: an email in several mailboxes is exported once, in the first of them (list order).
  const rank = new Map(boxes.map((b, i) => [b.id, i]));
  const home = (m: MessageSummary) => m.mailboxIds.reduce((a, b) => ((rank.get(b) ?? 1e9) < (rank.get(a) ?? 1e9) ? b : a));
  for (const box of boxes) {
    const dir = paths.get(box.id)!;
    const items: FolderItem[] = [];
    const missing = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await deps.messages.list(accountId, box.id, { limit: EXPORT_PAGE, cursor, order: 'asc' });
      cursor = page.next ?? undefined;
      const mine = page.results.filter((m) => home(m) === box.id);
      let reached: () => void = () => undefined;
      const lastReached = new Promise<void>((resolve) => (reached = resolve));
      if (mine.length === 0) reached();
      for (const [i, m] of mine.entries()) {
        const filename = `${items.length + 1}.eml`;
        items.push({ uid: m.id, filename, flags: m.keywords.map(keywordToFlag), internal_date: m.receivedAt, size: m.size });
        const last = i === mine.length - 1;
        zip.addReadStreamLazy(`${dir}/${filename}`, { mtime: new Date(m.receivedAt) }, (cb) => {
          if (last) reached();
          deps.messages.raw(accountId, m.id).then(
            (r) => cb(null, r.stream),
            (err: unknown) => {
              // Deleted while the export ran: leave it out of folder.json rather than fail the whole zip.
              if (err instanceof ServiceError && err.code === 'notFound') {
                missing.add(m.id);
                cb(null, Readable.from([]));
              } else cb(err, Readable.from([]));
            },
          );
        });
      }
      await Promise.race([lastReached, closed]);
      if (gone) return;
    } while (cursor);
    // Lazy so it is built after every .eml above was opened, when `missing` is final.
    zip.addReadStreamLazy(`${dir}/folder.json`, { mtime: now }, (cb) => cb(null, Readable.from([json(folderJson(box, items.filter((it) => !missing.has(it.uid))))])));
  }
  zip.addEmptyDirectory('contacts/', { mtime: now });
  zip.addEmptyDirectory('calendars/', { mtime: now });
  zip.end();
}

function folderJson(box: MailboxView, items: FolderItem[]): FolderJson {
  const out: FolderJson = {
    name: box.name,
    uid: box.id,
    uidvalidity: box.uidValidity,
    last_uid: Math.max(0, box.uidNext - 1),
    is_subscribed: box.subscribed,
    sort_order: box.sortOrder,
    items,
  };
  if (box.role) {
    out.role = box.role;
    if (box.role !== 'inbox') out.special_use = specialUseOf(box.role);
  }
  return out;
}
