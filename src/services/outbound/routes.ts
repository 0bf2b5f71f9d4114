import { Resolver } from 'node:dns/promises';

export interface Hop {
  host: string;
  port: number;
}

/** Where mail for a domain goes: the hosts to try in order, or why it cannot go anywhere. */
export type Route = { hops: Hop[] } | { permanent: string } | { temporary: string };

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

/** Static routes, then the relay host, then MX (RFC 5321 §5.1, with RFC 7505 null MX). */
export class Router {
  private readonly routes: Map<string, Hop>;
  private readonly relay: Hop | null;
  private readonly resolver = new Resolver({ timeout: 5000, tries: 2 });

  constructor(config: RoutingConfig) {
    this.routes = parseRelayRoutes(config.relayRoutes);
    this.relay = config.relayHost ? parseHop(config.relayHost) : null;
    const servers = config.dnsServers.split(',').map((s) => s.trim()).filter(Boolean);
    if (servers.length) this.resolver.setServers(servers);
  }

  async route(domain: string): Promise<Route> {
    const d = domain.toLowerCase();
    const fixed = this.routes.get(d) ?? this.relay;
    if (fixed) return { hops: [fixed] };
    try {
      const mx = await this.resolver.resolveMx(d);
      if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) return { permanent: `${d} accepts no mail (null MX)` };
      // Equal preferences are shuffled so load spreads as RFC 5321 §5.1 asks.
      const sorted = mx.map((r) => ({ ...r, tie: Math.random() })).sort((a, b) => a.priority - b.priority || a.tie - b.tie);
      return { hops: sorted.map((r) => ({ host: r.exchange, port: 25 })) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENODATA') return { hops: [{ host: d, port: 25 }] }; // no MX: the domain's own address (implicit MX)
      if (code === 'ENOTFOUND') return { permanent: `${d} does not exist` };
      if (TEMPORARY_DNS.has(code)) return { temporary: `DNS lookup for ${d} failed: ${code}` };
      return { temporary: `DNS lookup for ${d} failed: ${(err as Error).message}` };
    }
  }
}
