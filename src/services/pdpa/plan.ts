import type yauzl from 'yauzl';
import { checkMailboxName } from '../directory/names.ts';
import { ServiceError } from '../errors.ts';
import { flagsToKeywords, roleOf } from './format.ts';
import type { PdpaLimits } from './limits.ts';
import { bad, listEntries, parseJson, readEntry, type ZipEntryInfo } from './reader.ts';

export interface PlannedItem {
  entry: ZipEntryInfo;
  keywords: string[];
  receivedAt?: number;
}

export interface PlannedFolder {
  /** Directory under mail/, e.g. `mail/Work/2024`. */
  dir: string;
  depth: number;
  name: string;
  role: string | null;
  subscribed: boolean;
  items: PlannedItem[];
}

export interface Skipped {
  entry: string;
  reason: string;
}

export interface ImportPlan {
  /** Parents before children. */
  folders: PlannedFolder[];
  skipped: Skipped[];
}

/** Data types the draft defines that Gannet does not store yet: present is fine, imported is not. */
const SKIPPED_TOP = new Set(['contacts', 'calendars', 'sieve', 'blob']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const parentDir = (dir: string) => dir.slice(0, dir.lastIndexOf('/'));

function mailboxName(raw: string, where: string): string {
  try {
    return checkMailboxName(raw);
  } catch (err) {
    if (err instanceof ServiceError) throw bad(`${where}: ${err.message}`);
    throw err;
  }
}

function segmentName(dir: string): string {
  const seg = dir.slice(dir.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/**
 * The validating first pass: every entry is checked and inflated (so a lying header or a bomb is
 * caught here), every JSON file parsed and checked, every mailbox name validated. Only when this
 * returns does the import touch the account, so a rejected archive imports nothing.
 */
export async function planImport(zip: yauzl.ZipFile, limits: PdpaLimits, maxDepth: number): Promise<ImportPlan> {
  const entries = await listEntries(zip, limits);
  const budget = { left: limits.maxTotalBytes };
  const skipped: Skipped[] = [];
  let archiveJson: unknown;
  const folderJson = new Map<string, unknown>();
  const emls = new Map<string, Map<string, ZipEntryInfo>>();
  for (const e of entries) {
    const top = e.name.split('/')[0];
    if (e.isDir) {
      if (top !== 'mail' && !SKIPPED_TOP.has(top)) throw bad(`unknown directory "${e.name.slice(0, 80)}"`);
      continue;
    }
    if (e.name === 'archive.json') {
      archiveJson = parseJson(await readEntry(zip, e, limits.maxJsonBytes, budget), e.name);
    } else if (SKIPPED_TOP.has(top)) {
      skipped.push({ entry: e.name, reason: `${top} are not imported by this server` });
    } else if (top === 'mail') {
      const dir = parentDir(e.name);
      const base = e.name.slice(dir.length + 1);
      if (dir === 'mail') throw bad(`"${e.name.slice(0, 80)}" lies directly in mail/, outside any folder`);
      if (base === 'folder.json') {
        folderJson.set(dir, parseJson(await readEntry(zip, e, limits.maxJsonBytes, budget), e.name));
      } else if (/\.eml$/i.test(base)) {
        if (e.entry.uncompressedSize > limits.maxMessageBytes) {
          skipped.push({ entry: e.name, reason: `larger than the ${limits.maxMessageBytes}-byte message limit` });
          continue;
        }
        await readEntry(zip, e, limits.maxMessageBytes, budget);
        if (!emls.has(dir)) emls.set(dir, new Map());
        emls.get(dir)!.set(base, e);
      } else {
        throw bad(`unexpected file "${e.name.slice(0, 80)}" (mail folders hold folder.json and .eml files)`);
      }
    } else {
      throw bad(`unexpected entry "${e.name.slice(0, 80)}"`);
    }
  }
  checkArchiveJson(archiveJson);

  const folders = new Map<string, PlannedFolder>();
  const rolesTaken = new Set<string>();
  for (const dir of [...new Set([...folderJson.keys(), ...emls.keys()])].sort()) {
    const meta = folderJson.get(dir);
    if (meta === undefined) throw bad(`${dir}/ holds messages but no folder.json`);
    const files = emls.get(dir) ?? new Map<string, ZipEntryInfo>();
    const folder = checkFolder(dir, meta, files, rolesTaken, skipped);
    folders.set(dir, folder);
  }
  // Folders the archive only implies (mail/A/B/folder.json without mail/A/folder.json).
  for (const dir of [...folders.keys()]) {
    for (let p = parentDir(dir); p !== 'mail' && !folders.has(p); p = parentDir(p)) {
      folders.set(p, { dir: p, depth: p.split('/').length - 1, name: mailboxName(segmentName(p), `${p}/`), role: null, subscribed: true, items: [] });
    }
  }
  const ordered = [...folders.values()].sort((a, b) => a.depth - b.depth || (a.dir < b.dir ? -1 : 1));
  if (ordered.some((f) => f.depth > maxDepth)) throw bad(`folders nest more than ${maxDepth} levels deep here`);
  return { folders: ordered, skipped };
}

function checkArchiveJson(v: unknown): void {
  if (v === undefined) throw bad('archive.json is missing');
  if (!isObject(v) || !isObject(v.archive)) throw bad('archive.json has no "archive" object');
  if (typeof v.archive.version !== 'string') throw bad('archive.json: archive.version must be a string');
}

function checkFolder(dir: string, meta: unknown, files: Map<string, ZipEntryInfo>, rolesTaken: Set<string>, skipped: Skipped[]): PlannedFolder {
  const where = `${dir}/folder.json`;
  if (!isObject(meta)) throw bad(`${where} is not a JSON object`);
  if (!Array.isArray(meta.items)) throw bad(`${where}: "items" must be an array`);
  for (const k of ['name', 'original_name', 'role', 'special_use'] as const) {
    if (meta[k] !== undefined && typeof meta[k] !== 'string') throw bad(`${where}: "${k}" must be a string`);
  }
  if (meta.is_subscribed !== undefined && typeof meta.is_subscribed !== 'boolean') throw bad(`${where}: "is_subscribed" must be a boolean`);
  const rawName = (meta.original_name ?? meta.name ?? segmentName(dir)) as string;
  const depth = dir.split('/').length - 1;
  let role = roleOf(meta.role, meta.special_use);
  // The draft names the inbox folder mail/INBOX and RFC 6154 has no \Inbox.
  if (!role && depth === 1 && rawName.toUpperCase() === 'INBOX') role = 'inbox';
  if (role && rolesTaken.has(role)) role = null;
  if (role) rolesTaken.add(role);

  const items: PlannedItem[] = [];
  const listed = new Set<string>();
  for (const [i, it] of meta.items.entries()) {
    const at = `${where}: items[${i}]`;
    if (!isObject(it) || typeof it.filename !== 'string') throw bad(`${at} needs a "filename" string`);
    if (it.filename.includes('/') || listed.has(it.filename)) throw bad(`${at}: filename "${it.filename.slice(0, 80)}" is not a unique file of this folder`);
    listed.add(it.filename);
    if (it.flags !== undefined && !(Array.isArray(it.flags) && it.flags.every((f) => typeof f === 'string'))) throw bad(`${at}: "flags" must be an array of strings`);
    let receivedAt: number | undefined;
    if (it.internal_date !== undefined) {
      receivedAt = typeof it.internal_date === 'string' ? Date.parse(it.internal_date) : NaN;
      if (!Number.isFinite(receivedAt)) throw bad(`${at}: "internal_date" must be an ISO 8601 date-time`);
    }
    let keywords: string[];
    try {
      keywords = flagsToKeywords((it.flags as string[] | undefined) ?? [], 'flags');
    } catch (err) {
      if (err instanceof ServiceError) throw bad(`${at}: ${err.message}`);
      throw err;
    }
    const entry = files.get(it.filename);
    if (!entry) {
      // Oversized messages were already reported; anything else listed must be present.
      if (skipped.some((s) => s.entry === `${dir}/${it.filename}`)) continue;
      throw bad(`${at}: ${dir}/${it.filename} is not in the archive`);
    }
    items.push({ entry, keywords, receivedAt });
  }
  for (const name of files.keys()) if (!listed.has(name)) skipped.push({ entry: `${dir}/${name}`, reason: 'not listed in folder.json' });
  return { dir, depth, name: mailboxName(rawName, where), role, subscribed: meta.is_subscribed !== false, items };
}
