/**
 * State strings: every data type's state is the account modseq in decimal (DESIGN.md §2), so
 * /get, /changes and push all agree without a per-type counter.
 */
export const stateString = (modseq: number): string => String(modseq);

/** The modseq a state string encodes, or null when it is not one this server gave out. */
export function parseState(state: string): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(state)) return null;
  const n = Number(state);
  return Number.isSafeInteger(n) ? n : null;
}

/** RFC 8620 §7.1 */
export interface StateChange {
  '@type': 'StateChange';
  changed: Record<string, Record<string, string>>;
}

/** One StateChange for several accounts: each with the types that changed and the modseq reached. */
export function stateChange(accounts: Iterable<[accountId: string, types: Iterable<string>, modseq: number]>): StateChange {
  const changed: StateChange['changed'] = {};
  for (const [accountId, types, modseq] of accounts) changed[accountId] = Object.fromEntries([...types].sort().map((t) => [t, stateString(modseq)]));
  return { '@type': 'StateChange', changed };
}
