import type { Logger } from 'pino';
import { systemResolver, type DNSResolver } from '../delivery/inbound-auth.ts';
import { mxMatches, type MtaSts, type StsPolicy } from './mta-sts.ts';

export interface Hop {
  host: string;
  port: number;
  /** An MTA-STS `enforce` host: TLS is required, with a certificate valid for `host`. */
  verifyTls?: boolean;
  /** A mirrored account's own submission server: log in, with TLS as the account says (verified). */
  login?: HopLogin;
}

/** The seed's TLS numbering, as remote accounts store it: 0 plain, 2 implicit TLS, 3 STARTTLS. */
export interface HopLogin {
  user: string;
  pass: string;
  tls: 0 | 2 | 3;
}

/** How a domain was routed: which rule, the MX records with their preferences, its MTA-STS policy. */
export interface RouteInfo {
  via: 'static' | 'relay' | 'mx';
  mx?: { host: string; preference: number }[];
  sts?: { policy: StsPolicy | null; error?: string };
}

/** Where mail for a domain goes: the hosts to try in order, or why it cannot go anywhere. */
export type Route = ({ hops: Hop[] } | { permanent: string } | { temporary: string }) & Partial<RouteInfo>;

export interface RouterSeams {
  /** DNS answers for MX and MTA-STS TXT lookups; default: the `dnsServers` resolver. */
  resolver?: DNSResolver;
  /** MTA-STS discovery; without it, MX delivery ignores MTA-STS. */
  mtaSts?: MtaSts;
  /** The port MX hosts are reached on: 25, or a test receiver's. */
  mxPort?: number;
}

export interface RoutingConfig {
  /** `host:port` every remote message goes to; empty: MX lookup. */
  relayHost: string;
  /** `domain=host:port,…`: static routes that win over the relay host and MX. */
  relayRoutes: string;
  /** Comma-separated resolver addresses; empty: the system's. */
  dnsServers: string;
}

/** Parses `host:port`, with IPv6 hosts in brackets; throws with the offending text. */
export function parseHop(text: string): Hop {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`"${text}" is not host:port`);
  return { host: m[1] ?? m[2], port };
}

export function parseRelayRoutes(text: string): Map<string, Hop> {
  const routes = new Map<string, Hop>();
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`relay route "${entry}" is not domain=host:port`);
    routes.set(entry.slice(0, eq).trim().toLowerCase(), parseHop(entry.slice(eq + 1)));
  }
  return routes;
}

const TEMPORARY_DNS = new Set(['ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', 'EAI_AGAIN']);

/**
 * Static routes, then the relay host, then MX (RFC 5321 §5.1, with RFC 7505 null MX), and for
 * MX the domain's MTA-STS policy (RFC 8461). Static routes and the relay host are the
 * administrator's own choice of destination, so MTA-STS does not apply to them.
 */
export class Router {
  private readonly routes: Map<string, Hop>;
  private readonly relay: Hop | null;
  private readonly resolver: DNSResolver;
  private readonly mxPort: number;

  constructor(
    config: RoutingConfig,
    private readonly seams: RouterSeams = {},
    private readonly log?: Logger,
  ) {
    this.routes = parseRelayRoutes(config.relayRoutes);
    this.relay = config.relayHost ? parseHop(config.relayHost) : null;
    this.resolver = seams.resolver ?? systemResolver(config.dnsServers);
    this.mxPort = seams.mxPort ?? 25;
  }

  async route(domain: string): Promise<Route> {
    const d = domain.toLowerCase();
    const fixed = this.routes.get(d);
    if (fixed) return { hops: [fixed], via: 'static' };
    if (this.relay) return { hops: [this.relay], via: 'relay' };
    let mx: { host: string; preference: number }[];
    try {
      const records = (await this.resolver(d, 'MX')) as unknown as { exchange: string; priority: number }[];
      if (records.length === 1 && (records[0].exchange === '' || records[0].exchange === '.')) return { permanent: `${d} accepts no mail (null MX)`, via: 'mx' };
      // Equal preferences are shuffled so load spreads as RFC 5321 §5.1 asks.
      const sorted = records.map((r) => ({ ...r, tie: Math.random() })).sort((a, b) => a.priority - b.priority || a.tie - b.tie);
      mx = sorted.map((r) => ({ host: r.exchange.replace(/\.$/, ''), preference: r.priority }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // No MX: the domain's own address (implicit MX, RFC 5321 §5.1).
      if (code === 'ENODATA') mx = [{ host: d, preference: 0 }];
      else return { ...dnsFailure(d, err), via: 'mx' };
    }
    return this.applySts(d, mx);
  }

  /** RFC 8461 §4: with `enforce`, only MX hosts the policy names, each over verified TLS. */
  private async applySts(d: string, mx: { host: string; preference: number }[]): Promise<Route> {
    const info: RouteInfo = { via: 'mx', mx };
    const hops = mx.map((m) => ({ host: m.host, port: this.mxPort }));
    if (!this.seams.mtaSts) return { hops, ...info };
    const sts = (info.sts = await this.seams.mtaSts.policy(d));
    const policy = sts.policy;
    if (sts.error) this.log?.warn({ domain: d, error: sts.error }, 'MTA-STS policy unavailable');
    if (!policy || policy.mode === 'none') return { hops, ...info };
    const matching = hops.filter((h) => policy.mx.some((p) => mxMatches(h.host, p)));
    if (policy.mode === 'testing') {
      // §5: a testing policy changes nothing; what enforce would have refused is only logged.
      if (matching.length < hops.length) this.log?.info({ domain: d, mx: hops.map((h) => h.host), policy: policy.mx }, 'MTA-STS testing: MX not in policy');
      return { hops, ...info };
    }
    if (matching.length === 0) return { temporary: `no MX of ${d} matches its MTA-STS policy (${policy.mx.join(', ')})`, ...info };
    return { hops: matching.map((h) => ({ ...h, verifyTls: true })), ...info };
  }
}

function dnsFailure(d: string, err: unknown): { permanent: string } | { temporary: string } {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOTFOUND') return { permanent: `${d} does not exist` };
  if (TEMPORARY_DNS.has(code)) return { temporary: `DNS lookup for ${d} failed: ${code}` };
  return { temporary: `DNS lookup for ${d} failed: ${(err as Error).message}` };
}
