import { invalid } from '../errors.ts';

/** The seed's TLS numbering: 0 plain, 2 implicit TLS, 3 STARTTLS. */
export type TlsMode = 0 | 2 | 3;
export type SyncLimitType = 'all' | 'days' | 'weeks' | 'messages';

export interface ServerSettings {
  host: string;
  port: number;
  tls: TlsMode;
}

/** What to mirror: everything, or the newest N messages / N days / N weeks of each folder. */
export interface SyncSettings {
  limitType: SyncLimitType;
  limitValue: number | null;
  /** Upstream folder names to mirror; null: all of them. */
  folders: string[] | null;
  excludeTrash: boolean;
}

export interface ImapSettings {
  imap: ServerSettings;
  smtp: ServerSettings | null;
  username: string;
  sync: SyncSettings;
}

export const DEFAULT_SYNC: SyncSettings = { limitType: 'all', limitValue: null, folders: null, excludeTrash: false };

const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$|^\d{1,3}(\.\d{1,3}){3}$|^\[?[0-9a-f:]+\]?$/i;

export function checkHost(v: unknown, field: string): string {
  if (typeof v !== 'string' || !HOST.test(v.trim())) throw invalid(field, 'must be a host name or IP address');
  return v.trim().replace(/^\[|\]$/g, '');
}

export function checkPort(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw invalid(field, 'must be a port number (1-65535)');
  return v;
}

export function checkTls(v: unknown, field: string): TlsMode {
  if (v !== 0 && v !== 2 && v !== 3) throw invalid(field, 'must be 0 (plain), 2 (TLS) or 3 (STARTTLS)');
  return v;
}

export function checkSync(input: Partial<Record<keyof SyncSettings, unknown>>, base: SyncSettings = DEFAULT_SYNC): SyncSettings {
  const out = { ...base };
  if (input.limitType !== undefined) {
    if (!['all', 'days', 'weeks', 'messages'].includes(input.limitType as string)) throw invalid('sync_limit_type', 'must be all, days, weeks or messages');
    out.limitType = input.limitType as SyncLimitType;
  }
  if (input.limitValue !== undefined) {
    const v = input.limitValue;
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000)) throw invalid('sync_limit_value', 'must be a positive integer or null');
    out.limitValue = v as number | null;
  }
  if (out.limitType !== 'all' && out.limitValue === null) throw invalid('sync_limit_value', `is required when the limit type is ${out.limitType}`);
  if (input.folders !== undefined) {
    const f = input.folders;
    if (f !== null && (!Array.isArray(f) || f.length > 1000 || !f.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 1000))) {
      throw invalid('folders_to_sync', 'must be a list of folder names');
    }
    out.folders = f === null || (f as string[]).length === 0 ? null : [...new Set(f as string[])];
  }
  if (input.excludeTrash !== undefined) {
    if (typeof input.excludeTrash !== 'boolean') throw invalid('exclude_trash', 'must be true or false');
    out.excludeTrash = input.excludeTrash;
  }
  return out;
}

/** The oldest internal date a limited sync mirrors, or null for no date limit. */
export function sinceDate(sync: SyncSettings, now: number): Date | null {
  if (sync.limitType === 'days') return new Date(now - sync.limitValue! * 86_400_000);
  if (sync.limitType === 'weeks') return new Date(now - sync.limitValue! * 7 * 86_400_000);
  return null;
}
