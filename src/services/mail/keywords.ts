import { invalid } from '../errors.ts';

/**
 * Keywords are JMAP-style (RFC 8621 §4.1.1): lower-case, `$seen` for IMAP's \Seen and so on.
 * The IMAP system flags are accepted in either spelling so every face can use its own.
 */
const SYSTEM: Record<string, string> = {
  '\\seen': '$seen',
  '\\flagged': '$flagged',
  '\\answered': '$answered',
  '\\draft': '$draft',
  '\\deleted': '$deleted',
};

/** IMAP's \Deleted: the email awaits EXPUNGE, and JMAP does not see it (RFC 8621 §4.1.1, ADR 0015). */
export const DELETED = '$deleted';

/** Whether a keyword as a client spells it (`$Deleted`, `\Deleted`) is DELETED. */
export const isDeletedKeyword = (input: string) => (SYSTEM[input.toLowerCase()] ?? input.toLowerCase()) === DELETED;

// IMAP atom characters minus the ones JMAP forbids in keywords.
const KEYWORD = /^[\x21-\x7e]{1,100}$/;
const FORBIDDEN = /[()[\]{}%*"\\]/;

export function normalizeKeyword(input: string, field = 'keywords'): string {
  const lower = input.toLowerCase();
  const mapped = SYSTEM[lower] ?? lower;
  if (!KEYWORD.test(mapped) || FORBIDDEN.test(mapped)) {
    throw invalid(field, `"${input.slice(0, 40)}" is not a valid keyword (1-100 printable ASCII characters, none of ( ) [ ] { } % * " \\ or space)`);
  }
  return mapped;
}

export function normalizeKeywords(list: string[], field = 'keywords'): string[] {
  return [...new Set(list.map((k) => normalizeKeyword(k, field)))].sort();
}

export function parseKeywords(json: string): string[] {
  return JSON.parse(json) as string[];
}
