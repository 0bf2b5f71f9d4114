import type { MimePart } from './types.ts';
import { decodeWords, rawValue, scanHeaders, unfold, type RawField } from './headers.ts';
import { isMessageType, mediaType, parseStructured, stripAngles, transferEncoding } from './content-type.ts';

export { findPart, listPartIds, walkParts } from './parts.ts';

/** Nesting beyond this is hostile; deeper containers are served as opaque text. */
export const MAX_DEPTH = 50;
/** Bounds tree size (and BODYSTRUCTURE output) for messages made of thousands of tiny parts. */
export const MAX_PARTS = 2000;

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;
const DASH = 45;

interface Ctx {
  raw: Buffer;
  parts: number;
  errors: string[];
}

// parseError stays short: the first few distinct problems are enough to explain a message.
const MAX_REPORTED_ERRORS = 3;

export interface ParsedStructure {
  root: MimePart;
  /** Header fields of the top-level message. */
  fields: RawField[];
  /** First structural problem found, or null. */
  error: string | null;
}

/** Builds the MIME tree of a whole message. Never throws for any input. */
export function parseStructure(raw: Buffer): ParsedStructure {
  const ctx: Ctx = { raw, parts: 0, errors: [] };
  const { part, fields } = buildPart(ctx, 0, raw.length, '', 0, 'text/plain');
  return { root: part, fields, error: ctx.errors.length ? ctx.errors.join('; ') : null };
}

function fail(ctx: Ctx, reason: string): void {
  if (ctx.errors.length < MAX_REPORTED_ERRORS && !ctx.errors.includes(reason)) ctx.errors.push(reason);
}

function childId(parentId: string, n: number): string {
  return parentId === '' ? String(n) : parentId + '.' + n;
}

export function countLines(raw: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  const view = raw.subarray(start, end);
  let n = 0;
  let p = view.indexOf(LF);
  while (p >= 0) {
    n++;
    p = view.indexOf(LF, p + 1);
  }
  return n;
}

/** A part with no content headers applied yet: the RFC 2045 defaults. */
export function plainPart(partId: string, headerStart: number, headerEnd: number, bodyEnd: number, type: string, lines: number): MimePart {
  return {
    partId,
    headerStart,
    headerEnd,
    bodyStart: headerEnd,
    bodyEnd,
    type,
    params: {},
    encoding: '7bit',
    disposition: null,
    dispositionParams: {},
    filename: null,
    contentId: null,
    contentDescription: null,
    contentLanguage: null,
    contentLocation: null,
    contentMd5: null,
    lines,
    children: [],
  };
}

function buildPart(
  ctx: Ctx,
  start: number,
  end: number,
  partId: string,
  depth: number,
  defaultType: string,
): { part: MimePart; fields: RawField[] } {
  ctx.parts++;
  const raw = ctx.raw;
  const hb = scanHeaders(raw, start, end);
  if (hb.error) fail(ctx, hb.error);
  const part = plainPart(partId, start, hb.headerEnd, end, defaultType, countLines(raw, hb.headerEnd, end));
  applyContentHeaders(raw, part, hb.fields, defaultType);

  if (part.type.startsWith('multipart/')) {
    splitMultipart(ctx, part, depth);
  } else if (isMessageType(part.type)) {
    encapsulate(ctx, part, depth);
  }
  return { part, fields: hb.fields };
}

function applyContentHeaders(raw: Buffer, part: MimePart, fields: RawField[], defaultType: string): void {
  let ct: RawField | null = null;
  let cd: RawField | null = null;
  let cte: RawField | null = null;
  for (const f of fields) {
    if (!f.lowerName.startsWith('content-')) continue;
    const v = (): string => unfold(rawValue(raw, f));
    switch (f.lowerName) {
      case 'content-type':
        ct ??= f;
        break;
      case 'content-disposition':
        cd ??= f;
        break;
      case 'content-transfer-encoding':
        cte ??= f;
        break;
      case 'content-id':
        part.contentId ??= stripAngles(v()) || null;
        break;
      case 'content-description':
        part.contentDescription ??= decodeWords(v()) || null;
        break;
      case 'content-language':
        part.contentLanguage ??= v() || null;
        break;
      case 'content-location':
        // RFC 2557: folding whitespace inside the URI is not part of it
        part.contentLocation ??= v().replace(/\s+/g, '') || null;
        break;
      case 'content-md5':
        part.contentMd5 ??= v() || null;
        break;
    }
  }
  if (cte) part.encoding = transferEncoding(unfold(rawValue(raw, cte)));
  if (ct) {
    const parsed = parseStructured(unfold(rawValue(raw, ct)));
    part.type = mediaType(parsed.value) ?? defaultType;
    part.params = parsed.params;
  }
  if (cd) {
    // 8-bit file names are most likely in the charset the part itself declares
    const parsed = parseStructured(unfold(rawValue(raw, cd, part.params['charset'])));
    part.disposition = parsed.value || null;
    part.dispositionParams = parsed.params;
  }
  const name = part.dispositionParams['filename'] ?? part.params['name'] ?? null;
  part.filename = name !== null && name.trim() !== '' ? name.trim() : null;
}

/** Makes a container we cannot split into an opaque text leaf, so consumers still get a valid tree. */
function degrade(ctx: Ctx, part: MimePart, reason: string): void {
  fail(ctx, reason);
  part.type = 'text/plain';
  part.children = [];
}

function encapsulate(ctx: Ctx, part: MimePart, depth: number): void {
  if (part.encoding !== '7bit' && part.encoding !== '8bit' && part.encoding !== 'binary') {
    // RFC 2046 §5.2.1 forbids encoding message/rfc822; the inner message is not at raw offsets.
    fail(ctx, `message/rfc822 part ${part.partId || '(root)'} has ${part.encoding} encoding`);
    return;
  }
  if (depth >= MAX_DEPTH) return degrade(ctx, part, 'MIME nesting too deep');
  if (ctx.parts >= MAX_PARTS) return degrade(ctx, part, 'too many MIME parts');
  part.children = [buildPart(ctx, part.bodyStart, part.bodyEnd, part.partId, depth + 1, 'text/plain').part];
}

interface Delimiter {
  /** Offset of the "--boundary" text. */
  at: number;
  /** First byte after the delimiter line. */
  after: number;
  close: boolean;
}

function boundaryBytes(boundary: string): Buffer {
  // Header bytes that are valid UTF-8 were decoded as UTF-8, so that is how non-ASCII boundaries
  // (invalid per RFC 2046, but seen) map back to the raw bytes.
  return Buffer.from('--' + boundary, 'utf8');
}

/**
 * Finds delimiter lines in [start, end). A delimiter must start a line and be followed only by
 * whitespace (or "--" for the close delimiter), so a boundary that is a prefix of a nested
 * part's boundary is not mistaken for it.
 */
function findDelimiters(raw: Buffer, start: number, end: number, boundary: string): Delimiter[] {
  const out: Delimiter[] = [];
  const delim = boundaryBytes(boundary);
  const view = raw.subarray(start, end);
  const len = view.length;
  let pos = 0;
  while (pos < len) {
    const i = view.indexOf(delim, pos);
    if (i < 0) break;
    pos = i + 1;
    if (i > 0 && view[i - 1] !== LF && view[i - 1] !== CR) continue;
    let j = i + delim.length;
    const close = j + 1 < len && view[j] === DASH && view[j + 1] === DASH;
    if (close) j += 2;
    let lf = view.indexOf(LF, j);
    if (lf < 0) lf = len;
    if (!close) {
      let k = j;
      while (k < lf && (view[k] === SP || view[k] === HT || view[k] === CR)) k++;
      if (k < lf) continue;
    }
    const after = lf < len ? lf + 1 : len;
    out.push({ at: start + i, after: start + after, close });
    if (close) break;
    pos = after;
  }
  return out;
}

function splitMultipart(ctx: Ctx, part: MimePart, depth: number): void {
  const raw = ctx.raw;
  const boundary = part.params['boundary'];
  if (!boundary) return degrade(ctx, part, `${part.type} without boundary parameter`);
  if (depth >= MAX_DEPTH) return degrade(ctx, part, 'MIME nesting too deep');
  const delims = findDelimiters(raw, part.bodyStart, part.bodyEnd, boundary);
  if (delims.length === 0 || delims[0]!.close) {
    return degrade(ctx, part, `${part.type} boundary not found`);
  }
  const defaultType = part.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const last = delims[delims.length - 1]!;
  if (!last.close) fail(ctx, `${part.type} not terminated (closing boundary missing)`);
  for (let k = 0; k < delims.length; k++) {
    const d = delims[k]!;
    if (d.close) break;
    if (ctx.parts >= MAX_PARTS) {
      fail(ctx, 'too many MIME parts');
      break;
    }
    const contentStart = d.after;
    let contentEnd = part.bodyEnd;
    const next = delims[k + 1];
    // a truncated message ending right after "--boundary" has no last part, not an empty one
    if (!next && contentStart >= contentEnd && part.children.length > 0) break;
    if (next) {
      // RFC 2046 §5.1.1: the line break before a delimiter belongs to the delimiter.
      contentEnd = next.at;
      if (contentEnd > contentStart && raw[contentEnd - 1] === LF) contentEnd--;
      if (contentEnd > contentStart && raw[contentEnd - 1] === CR) contentEnd--;
    }
    const childStart = Math.min(contentStart, contentEnd);
    const child = buildPart(ctx, childStart, contentEnd, childId(part.partId, part.children.length + 1), depth + 1, defaultType);
    part.children.push(child.part);
  }
}
