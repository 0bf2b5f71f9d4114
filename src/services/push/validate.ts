import { invalid } from '../errors.ts';
import { decodePushKeys, type PushKeys } from './encrypt.ts';
import { checkPushUrl } from './url.ts';

/** The client-settable properties of a PushSubscription (RFC 8620 §7.2); absent means unchanged. */
export interface PushInput {
  deviceClientId?: string;
  url?: string;
  verificationCode?: string | null;
  /** Epoch ms, or null for the server's default. */
  expires?: number | null;
  types?: string[] | null;
  /** Set on creation only; every push is then encrypted to them (RFC 8291). */
  keys?: PushKeys | null;
}

const CREATE = ['deviceClientId', 'url', 'keys', 'verificationCode', 'expires', 'types'];
const UPDATE = ['verificationCode', 'expires', 'types'];
const UTC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function refuse(fields: string[], message: string): never {
  const err = invalid(fields[0], message);
  err.fields.push(...fields.slice(1).map((field) => ({ field, message })));
  throw err;
}

function expires(v: unknown): number | null {
  if (v === null) return null;
  const ms = typeof v === 'string' && UTC_DATE.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw invalid('expires', 'must be a UTCDate such as 2026-01-01T00:00:00Z, or null');
  return ms;
}

function types(v: unknown): string[] | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length > 100 || !v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 255)) {
    throw invalid('types', 'must be null or an array of type names');
  }
  return [...new Set(v as string[])];
}

function keys(v: unknown): PushKeys {
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o) || typeof o.p256dh !== 'string' || typeof o.auth !== 'string' || Object.keys(o).length !== 2) {
    throw invalid('keys', 'must be null or an object with exactly p256dh and auth (base64url strings)');
  }
  const checked = { p256dh: o.p256dh, auth: o.auth };
  try {
    decodePushKeys(checked);
  } catch (err) {
    throw invalid('keys', (err as Error).message);
  }
  return checked;
}

/** Checks a client's PushSubscription object or patch; immutable properties cannot be updated. */
export function readPushInput(raw: Record<string, unknown>, creating: boolean): PushInput {
  const bad = Object.keys(raw).filter((k) => !(creating ? CREATE : UPDATE).includes(k));
  if (bad.length) refuse(bad, creating ? 'cannot be set' : 'is immutable or cannot be set');
  const out: PushInput = {};
  if (creating) {
    if (typeof raw.deviceClientId !== 'string' || raw.deviceClientId.length === 0 || raw.deviceClientId.length > 255) {
      throw invalid('deviceClientId', 'must be a string of 1 to 255 characters');
    }
    out.deviceClientId = raw.deviceClientId;
    if (typeof raw.url !== 'string' || raw.url.length > 2048) throw invalid('url', 'must be a URL string of at most 2048 characters');
    out.url = checkPushUrl(raw.url);
    if (raw.keys !== undefined && raw.keys !== null) out.keys = keys(raw.keys);
    if (raw.verificationCode !== undefined && raw.verificationCode !== null) throw invalid('verificationCode', 'must be null when the subscription is created');
  } else if ('verificationCode' in raw) {
    if (raw.verificationCode !== null && typeof raw.verificationCode !== 'string') throw invalid('verificationCode', 'must be a string');
    out.verificationCode = raw.verificationCode as string | null;
  }
  if ('expires' in raw) out.expires = expires(raw.expires);
  if ('types' in raw) out.types = types(raw.types);
  return out;
}
