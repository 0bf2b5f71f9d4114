import { atom } from './args.ts';
import { ImapSyntaxError } from './errors.ts';
import type { Token } from './tokens.ts';

/**
 * A modifier list of RFC 4466 (FETCH, STORE, SELECT): "(" name [SP value] *(SP ...) ")", at
 * least one. `known` names the modifiers understood and whether each takes a value; anything
 * else, or one given twice, is an error. Names come back upper-cased, mapped to their value.
 */
export function parseModifiers(items: Token[], known: Record<string, boolean>): Map<string, Token | null> {
  if (items.length === 0) throw new ImapSyntaxError('empty modifier list');
  const found = new Map<string, Token | null>();
  for (let i = 0; i < items.length; i++) {
    const name = atom(items[i]).toUpperCase();
    if (!Object.hasOwn(known, name)) throw new ImapSyntaxError(`unknown modifier ${name}`);
    if (found.has(name)) throw new ImapSyntaxError(`modifier ${name} given twice`);
    const value = known[name] ? items[++i] : null;
    if (value === undefined) throw new ImapSyntaxError(`modifier ${name} needs a value`);
    found.set(name, value);
  }
  return found;
}
