import { request } from 'node:https';
import type { DNSResolver } from '../delivery/inbound-auth.ts';

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  id: string;
  mode: StsMode;
  mx: string[];
  /** Seconds (RFC 8461 §3.2). */
  maxAge: number;
}

/** Fetches the policy text for a domain; the default is HTTPS to `mta-sts.<domain>`. */
export type PolicyFetcher = (domain: string) => Promise<string>;

const MAX_POLICY_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
/** RFC 8461 §3.2: max_age is at most 31557600 s (about a year). */
const MAX_AGE_LIMIT = 31_557_600;

/**
 * The HTTPS fetch of RFC 8461 §3.3: certificate checked against `mta-sts.<domain>`, no
 * redirects, a size limit and a timeout. `connect` points it at another address (tests), while
 * the name checked stays the policy host.
 */
export function httpsPolicyFetcher(opts: { ca?: string | string[]; connect?: { host: string; port: number } } = {}): PolicyFetcher {
  return (domain) =>
    new Promise((resolve, reject) => {
      const host = `mta-sts.${domain}`;
      const req = request(
        { host: opts.connect?.host ?? host, port: opts.connect?.port ?? 443, servername: host, headers: { host }, path: '/.well-known/mta-sts.txt', ca: opts.ca, timeout: FETCH_TIMEOUT_MS },
        (res) => {
          // §3.3: a redirect is not followed, and only a 200 is a policy.
          if (res.statusCode !== 200) {
            res.resume();
            return reject(new Error(`policy fetch answered HTTP ${res.statusCode}`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_POLICY_BYTES) req.destroy(new Error('policy larger than 64 kB'));
            else chunks.push(c);
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('policy fetch timed out')));
      req.on('error', reject);
      req.end();
    });
}

/** Parses a policy body (RFC 8461 §3.2); throws when a required field is missing or wrong. */
export function parsePolicy(text: string, id: string): StsPolicy {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    fields.set(key, [...(fields.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  const one = (k: string) => fields.get(k)?.[0];
  if (one('version') !== 'STSv1') throw new Error('policy version is not STSv1');
  const mode = one('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') throw new Error(`policy mode "${mode ?? ''}" is not enforce, testing or none`);
  const maxAge = Number(one('max_age'));
  if (!/^\d{1,10}$/.test(one('max_age') ?? '')) throw new Error('policy max_age is missing or not a number');
  const mx = (fields.get('mx') ?? []).map((m) => m.toLowerCase().replace(/\.$/, ''));
  if (mode !== 'none' && mx.length === 0) throw new Error('policy names no mx');
  return { id, mode, mx, maxAge: Math.min(maxAge, MAX_AGE_LIMIT) };
}

/** An MX name against a policy pattern: exact, or `*.` matching one leftmost label (§4.1). */
export function mxMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return h === pattern;
  const suffix = pattern.slice(1);
  return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes('.') && h.length > suffix.length;
}

/**
 * MTA-STS policy discovery (RFC 8461 §3): the `_mta-sts` TXT record, then the HTTPS policy,
 * cached per domain until max_age. The cache is in memory, per node: a restart or another node
 * fetches again, which costs one request and never weakens a policy a domain still publishes.
 * A domain whose record or policy cannot be had is treated as having none (§5), unless a
 * cached policy is still valid, which is then kept (§5.1's protection against a stripped record).
 */
export class MtaSts {
  private readonly cache = new Map<string, { policy: StsPolicy; until: number }>();

  constructor(
    private readonly resolver: DNSResolver,
    private readonly fetchPolicy: PolicyFetcher = httpsPolicyFetcher(),
  ) {}

  /** The domain's policy, or null when it publishes none; `error` says why a lookup failed. */
  async policy(domain: string): Promise<{ policy: StsPolicy | null; error?: string }> {
    const d = domain.toLowerCase();
    const cached = this.cache.get(d);
    const valid = cached && cached.until > Date.now() ? cached.policy : null;
    let id: string | null;
    try {
      id = await this.recordId(d);
    } catch (err) {
      return { policy: valid, error: `TXT lookup failed: ${(err as Error).message}` };
    }
    if (id === null) return { policy: valid };
    if (valid && valid.id === id) return { policy: valid };
    try {
      const policy = parsePolicy(await this.fetchPolicy(d), id);
      this.cache.set(d, { policy, until: Date.now() + policy.maxAge * 1000 });
      return { policy };
    } catch (err) {
      return { policy: valid, error: `policy fetch failed: ${(err as Error).message}` };
    }
  }

  /** The `id` of the domain's one `v=STSv1` record; null for none (or more than one, §3.1). */
  private async recordId(domain: string): Promise<string | null> {
    let records: string[][];
    try {
      records = (await this.resolver(`_mta-sts.${domain}`, 'TXT')) as string[][];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return null;
      throw err;
    }
    const sts = records.map((chunks) => chunks.join('')).filter((r) => /^v=STSv1\s*(;|$)/.test(r));
    if (sts.length !== 1) return null;
    const id = /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(?:;|$)/.exec(sts[0]);
    return id ? id[1] : null;
  }
}
