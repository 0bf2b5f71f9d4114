import type { SortCriterion } from '../../services/imap/sort.ts';
import { atom, list } from './args.ts';
import { ImapSyntaxError } from './errors.ts';
import { parseCharset, parseSearchKeys, type SearchKey } from './search-args.ts';
import type { Token } from './tokens.ts';

type SortKey = SortCriterion['key'];
type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES';

const SORT_KEYS = new Set<string>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'] satisfies SortKey[]);
const THREAD_ALGORITHMS = new Set<string>(['ORDEREDSUBJECT', 'REFERENCES'] satisfies ThreadAlgorithm[]);

/** sort-criteria: "(" ["REVERSE" SP] sort-key *(SP ["REVERSE" SP] sort-key) ")". */
function sortCriteria(items: Token[]): SortCriterion[] {
  if (items.length === 0) throw new ImapSyntaxError('empty sort criteria');
  const criteria: SortCriterion[] = [];
  for (let i = 0; i < items.length; i++) {
    const reverse = atom(items[i]).toUpperCase() === 'REVERSE';
    if (reverse && ++i === items.length) throw new ImapSyntaxError('REVERSE must be followed by a sort key');
    const key = atom(items[i]).toUpperCase();
    if (!SORT_KEYS.has(key)) throw new ImapSyntaxError(`unknown sort key ${key.slice(0, 40)}`);
    criteria.push({ key: key as SortKey, reverse });
  }
  return criteria;
}

/** search-criteria: charset 1*(SP search-key). Unlike SEARCH's, the charset is bare and required. */
function searchCriteria(args: Token[]): { charset: string; key: SearchKey } {
  return { charset: parseCharset(args[0], null), key: parseSearchKeys(args.slice(1)) };
}

/** The arguments of SORT and UID SORT: (criteria) charset search-keys. */
export function parseSortArgs(args: Token[]): { criteria: SortCriterion[]; charset: string; key: SearchKey } {
  return { criteria: sortCriteria(list(args[0])), ...searchCriteria(args.slice(1)) };
}

/** The arguments of THREAD and UID THREAD: algorithm charset search-keys. */
export function parseThreadArgs(args: Token[]): { algorithm: ThreadAlgorithm; charset: string; key: SearchKey } {
  const algorithm = atom(args[0]).toUpperCase();
  if (!THREAD_ALGORITHMS.has(algorithm)) throw new ImapSyntaxError(`unknown threading algorithm ${algorithm.slice(0, 40)}`);
  return { algorithm: algorithm as ThreadAlgorithm, ...searchCriteria(args.slice(1)) };
}
