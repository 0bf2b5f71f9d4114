import { selectBodies } from '../../../mime/bodies.ts';
import { decodePartText } from '../../../mime/decode.ts';
import { htmlToText } from '../../../mime/text.ts';
import type { MimePart } from '../../../mime/types.ts';
import { words } from '../../../store/search/types.ts';
import { checkIds, requireAccount, resolveCreationId } from '../core/index.ts';
import { isPlainObject } from '../core/request.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { MAX_IDS, VISIBLE } from './common.ts';
import { toQuery } from './email-filter.ts';
import { readStructure } from '../../../mime/stored-structure.ts';

/** SearchSnippet/get (RFC 8621 §5): the filter's words marked in each email's subject and body. */

const PREVIEW_CHARS = 255;
// Splits like the index's words(), keeping the separators so the text can be rebuilt.
const TOKEN = /([\p{L}\p{N}]+)/u;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const norm = (w: string) => w.toLowerCase().normalize('NFKC');

/** Words a match could be on: those under NOT do not make an email match, so they are not marked. */
function filterWords(f: unknown, subject: Set<string>, body: Set<string>): void {
  if (!isPlainObject(f)) return;
  if ('operator' in f) {
    if (f.operator !== 'NOT' && Array.isArray(f.conditions)) for (const c of f.conditions) filterWords(c, subject, body);
    return;
  }
  const add = (set: Set<string>, v: unknown) => typeof v === 'string' && words(v).forEach((w) => set.add(w));
  add(subject, f.text);
  add(subject, f.subject);
  add(body, f.text);
  add(body, f.body);
}

/** The text with matching words in <mark>, HTML-escaped; null when nothing matched. */
export function highlight(text: string, wanted: Set<string>): string | null {
  let matched = false;
  const out = text
    .split(TOKEN)
    .map((t, i) => {
      if (i % 2 === 1 && wanted.has(norm(t))) {
        matched = true;
        return `<mark>${escapeHtml(t)}</mark>`;
      }
      return escapeHtml(t);
    })
    .join('');
  return matched ? out : null;
}

/** A window of the body around its first match, so the preview shows why the email matched. */
function previewOf(body: string, wanted: Set<string>): string | null {
  const text = body.replace(/\s+/g, ' ').trim();
  const tokens = text.split(TOKEN);
  let offset = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (i % 2 === 1 && wanted.has(norm(tokens[i]!))) break;
    offset += tokens[i]!.length;
  }
  if (offset >= text.length) return null;
  const start = Math.max(0, offset - 40);
  const window = text.slice(start, start + PREVIEW_CHARS);
  // A window starting inside a word would mark a fragment; drop the partial first word.
  return highlight(start > 0 ? window.replace(/^[\p{L}\p{N}]*/u, '') : window, wanted);
}

function bodyText(raw: Buffer, structure: MimePart): string {
  const sel = selectBodies(structure);
  return sel.textBody
    .filter((p) => p.type.startsWith('text/'))
    .map((p) => (p.type === 'text/html' ? htmlToText(decodePartText(raw, p)) : decodePartText(raw, p)))
    .join('\n');
}

export async function searchSnippetGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const emailIds = checkIds(args.emailIds, MAX_IDS, 'emailIds');
  if (!emailIds) throw new MethodError('invalidArguments', 'emailIds is required');
  toQuery(args.filter, ctx);
  const subjectWords = new Set<string>();
  const bodyWords = new Set<string>();
  filterWords(args.filter, subjectWords, bodyWords);
  const ids = emailIds.map((id) => resolveCreationId(id, ctx));
  const records = new Map((await ctx.services.messages.records(accountId, ids, VISIBLE)).map((r) => [r.id, r]));
  const list: Args[] = [];
  for (const id of ids) {
    const rec = records.get(id);
    if (!rec) continue;
    let preview: string | null = null;
    if (bodyWords.size) preview = previewOf(bodyText(await ctx.services.messages.rawBytes(rec.blob_id), readStructure(rec.structure)), bodyWords);
    list.push({ emailId: id, subject: subjectWords.size && rec.subject ? highlight(rec.subject, subjectWords) : null, preview });
  }
  const notFound = ids.filter((id) => !records.has(id));
  // RFC 8621 §5.1: null, not an empty list, when every id was found.
  return { accountId, list, notFound: notFound.length ? notFound : null };
}
