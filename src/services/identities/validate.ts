import { invalid } from '../errors.ts';

export interface EmailAddress {
  name: string | null;
  email: string;
}

/** The settable properties of an Identity (RFC 8621 §6); absent means unchanged or the default. */
export interface IdentityInput {
  name?: string;
  email?: string;
  replyTo?: EmailAddress[] | null;
  bcc?: EmailAddress[] | null;
  textSignature?: string;
  htmlSignature?: string;
}

const SETTABLE = ['name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature'];
const MAX_TEXT = 64 * 1024;

function text(v: unknown, field: string, max = MAX_TEXT): string {
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return v;
}

function addresses(v: unknown, field: string): EmailAddress[] | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length > 100) throw invalid(field, 'must be null or an array of at most 100 EmailAddress objects');
  return v.map((a, i) => {
    const o = a as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(field, `item ${i} must be an EmailAddress object`);
    const extra = Object.keys(o).filter((k) => k !== 'name' && k !== 'email');
    if (extra.length) throw invalid(field, `item ${i} has unknown properties: ${extra.join(', ')}`);
    const name = o.name === undefined || o.name === null ? null : text(o.name, field, 1000);
    const email = text(o.email, field, 320);
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw invalid(field, `item ${i} is not an email address`);
    return { name, email };
  });
}

/**
 * Checks a client's Identity object. Immutable and server-set properties are refused here so a
 * protocol face cannot forget them; `email` is only accepted on creation.
 */
export function readIdentityInput(raw: Record<string, unknown>, creating: boolean): IdentityInput {
  const bad = Object.keys(raw).filter((k) => !SETTABLE.includes(k) || (k === 'email' && !creating));
  if (bad.length) {
    const err = invalid(bad[0], 'cannot be set');
    err.fields.push(...bad.slice(1).map((field) => ({ field, message: 'cannot be set' })));
    throw err;
  }
  const out: IdentityInput = {};
  if ('name' in raw) out.name = text(raw.name, 'name', 1000);
  if (creating) {
    out.email = text(raw.email, 'email', 320).trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(out.email)) throw invalid('email', 'is not an email address');
  }
  if ('replyTo' in raw) out.replyTo = addresses(raw.replyTo, 'replyTo');
  if ('bcc' in raw) out.bcc = addresses(raw.bcc, 'bcc');
  if ('textSignature' in raw) out.textSignature = text(raw.textSignature, 'textSignature');
  if ('htmlSignature' in raw) out.htmlSignature = text(raw.htmlSignature, 'htmlSignature');
  return out;
}
