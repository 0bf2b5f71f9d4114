import { Resolver } from 'node:dns/promises';
import type { ServerSettings, TlsMode } from './settings.ts';

export interface Discovered {
  imap: ServerSettings;
  smtp: ServerSettings | null;
  /** How it was found, for the API's answer and the logs. */
  source: string;
}

export interface DiscoveryOptions {
  /** URL templates tried in order; {domain} and {email} are substituted. */
  autoconfigUrls: string[];
  dnsServers: string;
}

type SrvLookup = (name: string) => Promise<{ name: string; port: number; priority: number; weight: number }[]>;

const TIMEOUT_MS = 5000;

/** RFC 6186: _imaps (implicit TLS) is preferred over _imap (STARTTLS); "." means no service. */
async function bySrv(domain: string, resolveSrv: SrvLookup): Promise<Discovered | null> {
  const lookup = async (service: string, tls: TlsMode): Promise<ServerSettings | null> => {
    const records = await resolveSrv(`${service}._tcp.${domain}`).catch(() => []);
    const usable = records.filter((r) => r.name && r.name !== '.').sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    return usable.length ? { host: usable[0].name.replace(/\.$/, ''), port: usable[0].port, tls } : null;
  };
  const imap = (await lookup('_imaps', 2)) ?? (await lookup('_imap', 3));
  if (!imap) return null;
  const smtp = (await lookup('_submissions', 2)) ?? (await lookup('_submission', 3));
  return { imap, smtp, source: 'dns-srv' };
}

const SOCKET: Record<string, TlsMode> = { SSL: 2, STARTTLS: 3, plain: 0 };

/** The first <incomingServer type="imap"> and <outgoingServer type="smtp"> of a Thunderbird autoconfig file. */
export function parseAutoconfig(xml: string, email: string): Omit<Discovered, 'source'> | null {
  const [local, domain] = [email.slice(0, email.lastIndexOf('@')), email.slice(email.lastIndexOf('@') + 1)];
  const fill = (s: string) => s.replace(/%EMAILADDRESS%/g, email).replace(/%EMAILLOCALPART%/g, local).replace(/%EMAILDOMAIN%/g, domain).trim();
  const server = (tag: string, type: string): ServerSettings | null => {
    const block = new RegExp(`<${tag}[^>]*type=["']${type}["'][^>]*>([\\s\\S]*?)</${tag}>`, 'i').exec(xml)?.[1];
    if (!block) return null;
    const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`, 'i').exec(block)?.[1];
    const host = field('hostname');
    const port = Number(field('port'));
    const tls = SOCKET[field('socketType') ?? ''];
    return host && Number.isInteger(port) && tls !== undefined ? { host: fill(host), port, tls } : null;
  };
  const imap = server('incomingServer', 'imap');
  return imap ? { imap, smtp: server('outgoingServer', 'smtp') } : null;
}

async function byAutoconfig(email: string, urls: string[]): Promise<Discovered | null> {
  const domain = email.slice(email.lastIndexOf('@') + 1);
  for (const template of urls) {
    const url = template.replace(/\{domain\}/g, encodeURIComponent(domain)).replace(/\{email\}/g, encodeURIComponent(email));
    try {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) continue;
      const found = parseAutoconfig((await res.text()).slice(0, 256 * 1024), email);
      if (found) return { ...found, source: url };
    } catch {
      // An unreachable candidate is normal: most domains publish at most one of them.
    }
  }
  return null;
}

/** Finds the IMAP (and SMTP) servers of an address: RFC 6186 SRV records, then autoconfig. */
export async function discover(email: string, opts: DiscoveryOptions, resolveSrv?: SrvLookup): Promise<Discovered | null> {
  let lookup = resolveSrv;
  if (!lookup) {
    const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: 2 });
    const servers = opts.dnsServers.split(',').map((s) => s.trim()).filter(Boolean);
    if (servers.length) resolver.setServers(servers);
    lookup = (name) => resolver.resolveSrv(name);
  }
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return (await bySrv(domain, lookup)) ?? (await byAutoconfig(email, opts.autoconfigUrls));
}
