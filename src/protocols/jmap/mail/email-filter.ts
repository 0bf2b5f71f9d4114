import type { EmailQuery, EmailQueryLeaf, EmailQueryTree } from '../../../services/mail/messages.ts';
import { isFieldName } from '../../../mime/headers.ts';
import type { HeaderCondition } from '../../../store/search/types.ts';
import { isPlainObject } from '../core/request.ts';
import { resolveCreationId } from '../core/index.ts';
import { MethodError, type MethodContext } from '../types.ts';
import { VISIBLE } from './common.ts';

/** Email/query filters (RFC 8621 §4.4.1) as the message service's query: flat where it can, a tree for OR/NOT. */

const invalid = (d: string) => new MethodError('invalidArguments', d);

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

function date(v: unknown, name: string): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw invalid(`${name} must be a UTCDate`);
  return ms;
}

function uint(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be an UnsignedInt`);
  return v;
}

const keyword = (v: unknown, name: string) => str(v, name).toLowerCase();
const add = <T>(list: T[] | undefined, v: T) => [...(list ?? []), v];

/** `header`: a field name (RFC 5322 ftext), optionally the text its value must contain. */
function header(v: unknown): HeaderCondition {
  if (!Array.isArray(v) || v.length < 1 || v.length > 2 || !v.every((s) => typeof s === 'string')) {
    throw invalid('header must be an array of a header field name and optionally a value');
  }
  const [name, value] = v as [string, string?];
  if (!isFieldName(name)) throw invalid(`header: ${JSON.stringify(name)} is not a header field name`);
  return { name: name.toLowerCase(), value };
}

/** One FilterCondition: its properties all hold. */
function leaf(c: Record<string, unknown>, ctx: MethodContext): EmailQueryLeaf {
  const out: EmailQueryLeaf = {};
  for (const [key, v] of Object.entries(c)) {
    switch (key) {
      case 'inMailbox': out.mailboxId = resolveCreationId(str(v, key), ctx, 'invalidArguments'); break;
      case 'inMailboxOtherThan':
        if (!Array.isArray(v)) throw invalid(`${key} must be an array of ids`);
        out.notInMailboxIds = v.map((id) => resolveCreationId(str(id, key), ctx, 'invalidArguments'));
        break;
      case 'before': out.before = date(v, key); break;
      case 'after': out.after = date(v, key); break;
      case 'minSize': out.minSize = uint(v, key); break;
      case 'maxSize': out.maxSize = uint(v, key); break;
      case 'hasKeyword': out.hasKeywords = add(out.hasKeywords, keyword(v, key)); break;
      case 'notKeyword': out.notKeywords = add(out.notKeywords, keyword(v, key)); break;
      case 'allInThreadHaveKeyword': out.allInThreadKeywords = add(out.allInThreadKeywords, keyword(v, key)); break;
      case 'someInThreadHaveKeyword': out.someInThreadKeywords = add(out.someInThreadKeywords, keyword(v, key)); break;
      case 'noneInThreadHaveKeyword': out.noneInThreadKeywords = add(out.noneInThreadKeywords, keyword(v, key)); break;
      case 'hasAttachment':
        if (typeof v !== 'boolean') throw invalid(`${key} must be true or false`);
        out.hasAttachment = v;
        break;
      case 'text': case 'from': case 'to': case 'cc': case 'bcc': case 'subject': case 'body': out[key] = str(v, key); break;
      case 'header': out.headers = add(out.headers, header(v)); break;
      default: throw new MethodError('unsupportedFilter', `filter condition ${key} is not supported`);
    }
  }
  return out;
}

function tree(f: unknown, ctx: MethodContext): EmailQueryTree {
  if (!isPlainObject(f)) throw invalid('filter must be an object');
  if (!('operator' in f)) return leaf(f, ctx);
  const { operator, conditions, ...rest } = f;
  if (Object.keys(rest).length) throw invalid('a FilterOperator has only operator and conditions');
  if (operator !== 'AND' && operator !== 'OR' && operator !== 'NOT') throw invalid(`operator must be AND, OR or NOT`);
  if (!Array.isArray(conditions)) throw invalid('conditions must be an array');
  return { operator, conditions: conditions.map((c) => tree(c, ctx)) };
}

/** Merges b into a when no property would be overwritten; null when they clash. */
function merge(a: EmailQueryLeaf, b: EmailQueryLeaf): EmailQueryLeaf | null {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev) && k !== 'notInMailboxIds') out[k] = [...prev, ...(v as unknown[])];
    else if (k === 'notInMailboxIds') out[k] = [...(prev as string[]), ...(v as string[])];
    else return null;
  }
  return out as EmailQueryLeaf;
}

/**
 * Top-level ANDed conditions become flat fields (so inMailbox still walks the mailbox index);
 * whatever cannot be merged, and every OR/NOT, stays in the tree. Emails carrying $deleted
 * match nothing.
 */
export function toQuery(filter: unknown, ctx: MethodContext): EmailQuery {
  if (filter === undefined || filter === null) return { ...VISIBLE };
  const t = tree(filter, ctx);
  const top = 'operator' in t && t.operator === 'AND' ? t.conditions : [t];
  let flat: EmailQueryLeaf = {};
  const rest: EmailQueryTree[] = [];
  for (const c of top) {
    const merged = 'operator' in c ? null : merge(flat, c);
    if (merged) flat = merged;
    else rest.push(c);
  }
  return rest.length ? { ...flat, ...VISIBLE, tree: { operator: 'AND', conditions: rest } } : { ...flat, ...VISIBLE };
}
