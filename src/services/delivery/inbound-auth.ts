import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';
import type { Logger } from 'pino';

export type { DNSResolver };

/** `enforce`: act on the sender domain's DMARC policy; `report-only`: only record the verdict. */
export type DmarcPolicy = 'enforce' | 'report-only';

/** What the MX listener knows about a message when its data has arrived. */
export interface InboundMessage {
  /** The client's address as the socket reports it. */
  ip: string;
  /** The EHLO/HELO name; '' when the client sent none. */
  helo: string;
  /** Reverse path without brackets; '' for the null sender. */
  mailFrom: string;
  raw: Buffer;
}

/**
 * The outcome for one message: `reject` carries the reason to refuse it with; otherwise it is
 * stored with `header` above it, in Junk when `quarantine` is set.
 */
export interface InboundVerdict {
  /** One complete `Authentication-Results` field (RFC 8601), CRLF-terminated. */
  header: string;
  quarantine: boolean;
  reject: string | null;
  /** The results the policy was decided on, for logs. */
  summary: { spf: string; dkim: string[]; dmarc: string; arc: string };
}

/**
 * Answers mailauth's lookups from the configured resolver addresses (the same `dnsServers`
 * the outbound queue uses for MX), or the system's when none are configured.
 */
export function systemResolver(dnsServers: string): DNSResolver {
  const resolver = new Resolver({ timeout: 5000, tries: 2 });
  const servers = dnsServers.split(',').map((s) => s.trim()).filter(Boolean);
  if (servers.length) resolver.setServers(servers);
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}

/**
 * SPF, DKIM, DMARC and ARC for mail arriving at the MX (ADR 0020). Verification only: no ARC
 * seal is added, BIMI is not looked up (it is a display feature of mail clients).
 */
export class InboundAuth {
  constructor(
    private readonly opts: { hostname: string; policy: DmarcPolicy; resolver: DNSResolver },
    private readonly log?: Logger,
  ) {}

  /** Runs once per message, whatever the number of recipients. */
  async check(m: InboundMessage): Promise<InboundVerdict> {
    let result: AuthenticateResult;
    let header: string;
    try {
      result = await authenticate(m.raw, {
        // smtp-server reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d; SPF's ip4 mechanisms need the plain form.
        ip: unmapped(m.ip),
        helo: m.helo || undefined,
        // An empty sender makes mailauth fall back to the message's Return-Path, which the client wrote; RFC 7208 §2.4 checks postmaster@HELO instead.
        sender: m.mailFrom || (m.helo ? `postmaster@${m.helo}` : undefined),
        mta: this.opts.hostname,
        resolver: this.opts.resolver,
        disableBimi: true,
      });
      header = authenticationResults(result, this.opts.hostname);
    } catch (err) {
      // A library failure must not lose or bounce mail; the header then says nothing was verified (RFC 8601 §2.2 "none").
      this.log?.error({ err }, 'inbound authentication failed; message accepted unverified');
      return { header: `Authentication-Results: ${this.opts.hostname}; none\r\n`, quarantine: false, reject: null, summary: { spf: 'none', dkim: [], dmarc: 'none', arc: 'none' } };
    }
    const dmarc = result.dmarc || null;
    const summary = {
      spf: result.spf ? result.spf.status.result : 'none',
      dkim: (result.dkim.results ?? []).map((r) => (r.status.comment === BODY_HASH_MISMATCH ? 'fail' : r.status.result)),
      dmarc: dmarc ? dmarc.status.result : 'none',
      arc: result.arc ? result.arc.status.result : 'none',
    };
    const verdict: InboundVerdict = { header, quarantine: false, reject: null, summary };
    if (this.opts.policy === 'report-only' || !dmarc || dmarc.status.result !== 'fail') return verdict;
    const action = applied(dmarc.policy, dmarc.pct);
    if (action === 'reject') verdict.reject = `DMARC policy of ${dmarc.domain} rejects this message (no aligned SPF or DKIM pass)`;
    else if (action === 'quarantine') verdict.quarantine = true;
    return verdict;
  }
}

/**
 * RFC 7489 §6.6.4: `pct` applies the policy to that share of failing messages; the rest get
 * the next weaker one (reject → quarantine → none).
 */
function applied(policy: string | undefined, pct: number | undefined): 'reject' | 'quarantine' | 'none' {
  const p = policy === 'reject' || policy === 'quarantine' ? policy : 'none';
  if (p === 'none' || pct === undefined || pct >= 100 || Math.random() * 100 < pct) return p;
  return p === 'reject' ? 'quarantine' : 'none';
}

const BODY_HASH_MISMATCH = 'body hash did not verify';

/**
 * mailauth's `headers` also holds a Received-SPF field; only the Authentication-Results field
 * is kept, so one field is added to the message. mailauth reports a body hash mismatch as
 * `neutral`, as Gmail does; RFC 6376 §6.1.3 makes it PERMFAIL, which RFC 8601 writes `fail`.
 */
function authenticationResults(result: AuthenticateResult, hostname: string): string {
  const text = result.headers.slice(result.headers.indexOf('Authentication-Results:')).replaceAll(`dkim=neutral (${BODY_HASH_MISMATCH})`, `dkim=fail (${BODY_HASH_MISMATCH})`);
  if (!text.startsWith(`Authentication-Results: ${hostname};`)) throw new Error('mailauth returned no Authentication-Results field');
  // Values in it come from the client (HELO, header.from): every line after the first must be a continuation.
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  return lines.map((l, i) => (i === 0 || /^[ \t]/.test(l) ? l : ` ${l}`)).join('\r\n') + '\r\n';
}

function unmapped(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : '';
  return isIPv4(v4) ? v4 : ip;
}
