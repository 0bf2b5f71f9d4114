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

/** Plain text rendering of an HTML body for previews and the search index. */
export function htmlToText(html: string): string {
  const input = html.length > MAX_HTML_INPUT ? html.slice(0, MAX_HTML_INPUT) : html;
  try {
    return convert(stripInvisible(input));
  } catch {
    return '';
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
