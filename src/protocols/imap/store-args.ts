import { atom, list, number64 } from './args.ts';
import { ImapSyntaxError } from './errors.ts';
import { flag } from './flags.ts';
import { parseModifiers } from './modifiers.ts';
import type { Token } from './tokens.ts';

export interface StoreArgs {
  mode: 'set' | 'add' | 'remove';
  silent: boolean;
  flags: string[];
  /** RFC 7162 UNCHANGEDSINCE; 0 is allowed (it fails for every message with a mod-sequence). */
  unchangedSince?: number;
}

const MODES = { '': 'set', '+': 'add', '-': 'remove' } as const;

/** The arguments after the sequence set: [(UNCHANGEDSINCE n)] (+|-)FLAGS[.SILENT] (flag list, or flags one by one). */
export function parseStoreArgs(args: Token[]): StoreArgs {
  const hasModifiers = args[0]?.type === 'list';
  const modifiers = hasModifiers ? parseModifiers(list(args[0]), { UNCHANGEDSINCE: true }) : null;
  const unchanged = modifiers?.get('UNCHANGEDSINCE');
  const [item, ...values] = args.slice(hasModifiers ? 1 : 0);
  const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atom(item));
  if (!m) throw new ImapSyntaxError('expected FLAGS, +FLAGS or -FLAGS');
  if (values.length === 0) throw new ImapSyntaxError('missing flags');
  const flags = values.length === 1 && values[0].type === 'list' ? values[0].items : values;
  return {
    mode: MODES[m[1] as keyof typeof MODES],
    silent: m[2] !== undefined,
    flags: flags.map(flag),
    ...(unchanged && { unchangedSince: number64(unchanged) }),
  };
}
