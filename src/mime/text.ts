import { compile } from 'html-to-text';

/** html-to-text is roughly linear but slow (~0.1 ms/KB) and worse on deeply nested markup. */
export const MAX_HTML_INPUT = 512 * 1024;
export const PREVIEW_LENGTH = 256;

const convert = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    // layout tables are the norm in mail; the table formatter would pad and measure every cell
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'block' },
    { selector: 'th', format: 'block' },
  ],
  limits: { maxDepth: 200, maxChildNodes: 20_000, maxInputLength: MAX_HTML_INPUT + 1 },
});

/** Removes <style>, <script> and comments, whose text html-to-text would otherwise emit or parse. */
function stripInvisible(html: string): string {
  const lower = html.toLowerCase();
  const pieces: string[] = [];
  let copied = 0;
  let pos = 0;
  for (;;) {
    const lt = lower.indexOf('<', pos);
    if (lt < 0) break;
    let closeTag: string | null = null;
    if (lower.startsWith('<!--', lt)) closeTag = '-->';
    else if (lower.startsWith('<style', lt)) closeTag = '</style';
    else if (lower.startsWith('<script', lt)) closeTag = '</script';
    if (closeTag === null) {
      pos = lt + 1;
      continue;
    }
    pieces.push(html.slice(copied, lt), ' ');
    const close = lower.indexOf(closeTag, lt + 4);
    // unterminated: browsers treat the rest as comment/script text too
    if (close < 0) return pieces.join('');
    const gt = closeTag === '-->' ? close + 2 : lower.indexOf('>', close);
    copied = pos = gt < 0 ? html.length : gt + 1;
  }
  pieces.push(html.slice(copied));
  return pieces.join('');
}

const VOID_ELEMENTS = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr',
  // closed implicitly by their next sibling, so they do not nest in practice
  'p', 'li', 'td', 'th', 'tr', 'option', 'dt', 'dd',
]);

/** html-to-text (htmlparser2 underneath) goes quadratic past roughly ten thousand nested elements. */
const MAX_NESTING = 2000;

/** Rough open-element depth check, linear in the input. */
function nestsTooDeep(html: string): boolean {
  let depth = 0;
  let pos = 0;
  for (;;) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) return false;
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) return false;
    pos = gt + 1;
    if (html[lt + 1] === '/') {
      if (depth > 0) depth--;
      continue;
    }
    let e = lt + 1;
    while (e < gt && e - lt <= 10 && /[A-Za-z0-9]/.test(html[e]!)) e++;
    if (e === lt + 1 || html[gt - 1] === '/') continue;
    if (VOID_ELEMENTS.has(html.slice(lt + 1, e).toLowerCase())) continue;
    if (++depth > MAX_NESTING) return true;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Fallback for pathological markup: drop tags, decode the common entities. */
function stripTags(html: string): string {
  const pieces: string[] = [];
  let pos = 0;
  for (;;) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) break;
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) break;
    pieces.push(html.slice(pos, lt), ' ');
    pos = gt + 1;
  }
  pieces.push(html.slice(pos));
  return pieces.join('').replace(/[ \t]+/g, ' ').replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (m, ent: string) => {
    if (ent[0] !== '#') return ENTITIES[ent.toLowerCase()] ?? m;
    const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** Plain text rendering of an HTML body for previews and the search index. */
export function htmlToText(html: string): string {
  const input = stripInvisible(html.length > MAX_HTML_INPUT ? html.slice(0, MAX_HTML_INPUT) : html);
  try {
    return nestsTooDeep(input) ? stripTags(input) : convert(input);
  } catch {
    return stripTags(input);
  }
}

/**
 * Whitespace-collapsed prefix of `text`, at most `max` characters. Only a prefix of a large body
 * is examined.
 */
export function collapsePrefix(text: string, max: number): string {
  let window = Math.max(max * 4, 1024);
  for (;;) {
    const chunk = text.length > window ? text.slice(0, window) : text;
    const collapsed = chunk.replace(/\s+/g, ' ').trim();
    if (collapsed.length >= max || chunk.length === text.length) {
      if (collapsed.length <= max) return collapsed;
      let cut = max;
      const code = collapsed.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--; // do not split a surrogate pair
      return collapsed.slice(0, cut).trimEnd();
    }
    window *= 4;
  }
}

export function makePreview(text: string): string {
  return collapsePrefix(text, PREVIEW_LENGTH);
}
