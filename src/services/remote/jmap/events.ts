import type { Logger } from 'pino';

/** The `changed` map of an upstream StateChange (RFC 8620 §7.1): account id → type → state. */
export type UpstreamChanged = Record<string, Record<string, string>>;

export interface EventSourceTarget {
  /** The upstream eventSourceUrl template. */
  url: string;
  authorization: string;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
// A line longer than this is no StateChange of any sane server; the stream is dropped and reopened.
const MAX_LINE = 1024 * 1024;
// The upstream pings this often; twice that without a byte means the connection is dead.
const PING_S = 60;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `changed` map of an SSE `state` event's data, or null when it is not a StateChange. */
export function parseStateEvent(data: string): UpstreamChanged | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(v) || !isObject(v.changed)) return null;
  const out: UpstreamChanged = {};
  for (const [accountId, types] of Object.entries(v.changed)) {
    if (!isObject(types)) continue;
    out[accountId] = Object.fromEntries(Object.entries(types).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return out;
}

/**
 * Splits an SSE byte stream (text/event-stream) into events: `event`/`data` fields, a blank
 * line ends each. Only what RFC 8620 §7.3 servers send is kept; comments and ids are ignored.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly onEvent: (event: string, data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    if (this.buffer.length > MAX_LINE && !/[\r\n]/.test(this.buffer)) throw new Error('event-source line too long');
    let at: number;
    while ((at = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A CR that ends the chunk may be the first half of a CRLF split across chunks.
      if (at === this.buffer.length - 1 && this.buffer[at] === '\r') break;
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + (this.buffer.startsWith('\r\n', at) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent(this.event || 'message', this.data.join('\n'));
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}

/**
 * Follows an upstream JMAP event source for as long as it is wanted, reconnecting with
 * exponential backoff, and reports each StateChange. Returns stop().
 */
export function watchEventSource(target: EventSourceTarget, onChange: (changed: UpstreamChanged) => void, log?: Logger): () => void {
  const url = target.url.replace('{types}', '*').replace('{closeafter}', 'no').replace('{ping}', String(PING_S));
  let controller: AbortController | null = null;
  let stopped = false;
  let backoff = MIN_BACKOFF_MS;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    controller = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller?.abort(), 2 * PING_S * 1000);
    };
    try {
      alive();
      const res = await fetch(url, { headers: { authorization: target.authorization, accept: 'text/event-stream' }, signal: controller.signal, redirect: 'manual' });
      if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}`);
      const parser = new SseParser((event, data) => {
        if (event !== 'state') return;
        const changed = parseStateEvent(data);
        if (changed) onChange(changed);
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        alive();
        backoff = MIN_BACKOFF_MS;
        parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
    } catch (err) {
      if (!stopped) log?.warn({ err, url: new URL(url).origin }, 'upstream JMAP event source failed; reconnecting');
    } finally {
      clearTimeout(idle);
    }
    if (stopped) return;
    retry = setTimeout(() => void connect(), backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };
  void connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    controller?.abort();
  };
}
