import type { Principal } from '../directory/directory.ts';
import { checkMailboxName } from '../directory/names.ts';
import type { IngestService } from '../delivery/ingest.ts';
import { ServiceError } from '../errors.ts';
import type { MailboxService } from '../mail/mailboxes.ts';
import type { MailboxView } from '../mail/views.ts';
import type { PdpaLimits } from './limits.ts';
import { planImport, type PlannedFolder, type Skipped } from './plan.ts';
import { openZip, readEntry } from './reader.ts';

const MAX_LEVELS = 32;

export interface ImportDeps {
  mailboxes: MailboxService;
  ingest: IngestService;
  limits: PdpaLimits;
}

export interface ImportSummary {
  ok: true;
  mailboxesCreated: number;
  mailboxes: { folder: string; id: string; path: string; created: boolean }[];
  messagesImported: number;
  skipped: Skipped[];
}

/**
 * Validates the whole archive, then adds its mail to the account. With a prefix everything lands
 * under that top-level folder and roles are not carried over (the account keeps its own inbox);
 * without, role folders merge into the account's role mailboxes and others merge by path.
 */
export async function importArchive(deps: ImportDeps, principal: Principal, body: Buffer, prefix?: string): Promise<ImportSummary> {
  const accountId = principal.accountId;
  const prefixName = prefix === undefined ? undefined : checkMailboxName(prefix, 'prefix');
  const zip = await openZip(body);
  // Mailboxes nest at most 32 levels (MailboxService); a prefix takes one of them.
  const plan = await planImport(zip, deps.limits, prefixName === undefined ? MAX_LEVELS : MAX_LEVELS - 1);

  const summary: ImportSummary = { ok: true, mailboxesCreated: 0, mailboxes: [], messagesImported: 0, skipped: plan.skipped };
  let existing = await deps.mailboxes.list(accountId);
  const child = (parentId: string | null, name: string) => existing.find((m) => m.parentId === parentId && m.name === name);
  const create = async (name: string, parentId: string | null, subscribed: boolean, role: string | null): Promise<MailboxView> => {
    let made: MailboxView;
    try {
      made = await deps.mailboxes.create(accountId, { name, parentId, subscribed, role });
    } catch (err) {
      // Created meanwhile by another client of the same account: merge into it like any existing one.
      if (!(err instanceof ServiceError && err.code === 'conflict')) throw err;
      existing = await deps.mailboxes.list(accountId);
      const found = child(parentId, name);
      if (!found) throw err;
      return found;
    }
    existing = [...existing, made];
    summary.mailboxesCreated++;
    return made;
  };

  let root: string | null = null;
  if (prefixName !== undefined) root = (child(null, prefixName) ?? (await create(prefixName, null, true, null))).id;

  const target = new Map<string, string>();
  for (const f of plan.folders) {
    const parentId = f.depth === 1 ? root : target.get(f.dir.slice(0, f.dir.lastIndexOf('/')))!;
    const before = summary.mailboxesCreated;
    const box = await resolveFolder(f, parentId, prefixName === undefined, existing, child, create);
    target.set(f.dir, box.id);
    summary.mailboxes.push({ folder: f.dir, id: box.id, path: box.path, created: summary.mailboxesCreated > before });
  }

  const budget = { left: deps.limits.maxTotalBytes };
  for (const f of plan.folders) {
    for (const item of f.items) {
      const raw = await readEntry(zip, item.entry, deps.limits.maxMessageBytes, budget);
      try {
        await deps.ingest.ingest({ accountId, raw, mailboxId: target.get(f.dir)!, keywords: item.keywords, receivedAt: item.receivedAt }, 'pdpa');
        summary.messagesImported++;
      } catch (err) {
        // Per-message refusals (quota, size, empty) leave the rest of the import standing.
        if (!(err instanceof ServiceError) || err.code === 'unavailable') throw err;
        summary.skipped.push({ entry: item.entry.name, reason: err.message });
      }
    }
  }
  zip.close();
  return summary;
}

async function resolveFolder(
  f: PlannedFolder,
  parentId: string | null,
  useRoles: boolean,
  existing: MailboxView[],
  child: (parentId: string | null, name: string) => MailboxView | undefined,
  create: (name: string, parentId: string | null, subscribed: boolean, role: string | null) => Promise<MailboxView>,
): Promise<MailboxView> {
  if (useRoles && f.role) {
    const byRole = existing.find((m) => m.role === f.role);
    if (byRole) return byRole;
  }
  const same = child(parentId, f.name);
  if (same) return same;
  return create(f.name, parentId, f.subscribed, useRoles ? f.role : null);
}
