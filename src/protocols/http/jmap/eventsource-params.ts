import { invalid } from '../../../services/errors.ts';

export interface EventSourceParams {
  /** '*' or the type names to push. */
  types: '*' | ReadonlySet<string>;
  closeAfterState: boolean;
  /** Seconds between pings after clamping; 0 = no pings. */
  ping: number;
}

// RFC 8620 §7.3 lets the server clamp, with a minimum of at most 30 s and a maximum of at least 300 s.
export const MIN_PING = 1;
export const MAX_PING = 300;

const one = (v: unknown): string | undefined => (Array.isArray(v) ? v[v.length - 1] : typeof v === 'string' ? v : undefined);

/** The query of the eventSourceUrl template; a client that leaves a variable out gets the lenient default. */
export function parseEventSourceParams(query: Record<string, unknown>): EventSourceParams {
  const types = one(query.types) ?? '*';
  const closeafter = one(query.closeafter) ?? 'no';
  const ping = one(query.ping) ?? '0';
  if (closeafter !== 'state' && closeafter !== 'no') throw invalid('closeafter', 'must be "state" or "no"');
  if (!/^\d{1,9}$/.test(ping)) throw invalid('ping', 'must be a whole number of seconds');
  let typeSet: '*' | Set<string> = '*';
  if (types !== '*') {
    const names = types.split(',').map((t) => t.trim());
    if (names.some((t) => !/^[A-Za-z][A-Za-z0-9]*$/.test(t))) throw invalid('types', 'must be "*" or a comma-separated list of type names');
    typeSet = new Set(names);
  }
  const seconds = Number(ping);
  return { types: typeSet, closeAfterState: closeafter === 'state', ping: seconds === 0 ? 0 : Math.min(MAX_PING, Math.max(MIN_PING, seconds)) };
}
