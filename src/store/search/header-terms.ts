import type { HeaderText } from '../../mime/header-text.ts';
import { fold, tokens, type HeaderCondition } from './types.ts';

/**
 * Header fields in the index, on both backends: every field name exactly, and the words of the
 * values. A `header` condition on a name alone is answered by the index; one with a value is
 * narrowed by it, then verified against the message (services/mail/header-filter.ts), so the
 * rules here must never leave out an email that verification would accept.
 */

// What one message adds to the index is bounded (a PostgreSQL tsvector holds at most 1 MB); a
// message past the bound is marked so that value searches fall back to its field names.
const MAX_VALUE_WORDS = 8000;
const MAX_VALUE_CHARS = 64 * 1024;
// Longer query words are not used; longer indexed words are cut (PostgreSQL garbles lexemes over
// 2 KB), which keeps every query word and prefix that matched the whole word matching.
const MAX_QUERY_WORD = 200;
const MAX_INDEXED_WORD = 256;
// A shorter prefix matches too many words to be worth walking the index for.
const MIN_PREFIX = 3;
const MAX_QUERY_WORDS = 16;

export interface HeaderIndexTerms {
  /** Distinct lower-case field names. */
  names: string[];
  /** Distinct folded words of the values, in order of first appearance. */
  values: string[];
  /** Some value words were left out. */
  overflow: boolean;
}

export function headerIndexTerms(fields: HeaderText[]): HeaderIndexTerms {
  const names = [...new Set(fields.map((f) => f.name))];
  const values = new Set<string>();
  let chars = 0;
  for (const f of fields) {
    for (const token of tokens(f.text)) {
      const w = token.slice(0, MAX_INDEXED_WORD);
      if (values.has(w)) continue;
      chars += w.length + 1;
      if (values.size >= MAX_VALUE_WORDS || chars > MAX_VALUE_CHARS) return { names, values: [...values], overflow: true };
      values.add(w);
    }
  }
  return { names, values: [...values], overflow: false };
}

export interface HeaderQueryTerms {
  name: string;
  /** Words every matching field value has whole. */
  words: string[];
  /** A word some matching field value has a word starting with. */
  prefix: string | null;
}

/**
 * What the index can require of an email with a `name` field whose folded value contains the
 * folded `value`: the words of the value bounded by separators on both sides are words of the
 * field; a last word with a separator before it starts one. A word at the very start of the
 * value may be the tail of a longer word, so it requires nothing.
 */
export function headerQueryTerms(c: HeaderCondition): HeaderQueryTerms {
  const value = fold(c.value ?? '');
  const words: string[] = [];
  let prefix: string | null = null;
  for (const m of value.matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    const at = m.index ?? 0;
    if (at === 0 || w.length > MAX_QUERY_WORD) continue;
    if (at + w.length < value.length) words.push(w);
    else if (w.length >= MIN_PREFIX) prefix = w;
  }
  return { name: c.name, words: [...new Set(words)].slice(0, MAX_QUERY_WORDS), prefix };
}
