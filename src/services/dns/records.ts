import { createHash } from 'node:crypto';
import type { DirectoryService } from '../directory/directory.ts';
import type { DkimService } from '../dkim/keys.ts';

export interface DnsRecord {
  type: 'MX' | 'TXT' | 'SRV' | 'CNAME';
  /** Fully qualified, with the trailing dot, as the seed writes it. */
  name: string;
  /** The record data in zone-file order (MX: preference host; SRV: priority weight port target). */
  content: string;
}

export interface DnsRecordOptions {
  hostname: string;
  ports: { submission: number; submissions: number; imap: number; imaps: number; http: number };
}

/**
 * The DNS records an administrator publishes for a domain (ADR 0019): where its mail goes (MX),
 * who may send it (SPF), its DKIM keys, what receivers do with mail failing both (DMARC), TLS
 * reporting and MTA-STS, and where mail clients find each service (RFC 6186 SRV, RFC 8620 §2.2
 * for JMAP, autoconfig and autodiscover names).
 */
export class DnsRecordService {
  constructor(
    private readonly directory: DirectoryService,
    private readonly dkim: DkimService,
    private readonly options: DnsRecordOptions,
  ) {}

  async records(domainRef: string): Promise<{ domain: string; records: DnsRecord[] }> {
    const { name: domain } = await this.directory.getDomain(domainRef);
    const keys = await this.dkim.list(domain);
    const host = `${this.options.hostname}.`;
    const at = `${domain}.`;
    const { ports } = this.options;
    const srv = (service: string, port: number): DnsRecord => ({ type: 'SRV', name: `_${service}._tcp.${at}`, content: `0 1 ${port} ${host}` });
    // RFC 6186 §3.4: target "." says the service is not offered, so clients stop looking for it.
    const absent = (service: string): DnsRecord => ({ type: 'SRV', name: `_${service}._tcp.${at}`, content: '0 0 0 .' });
    // MTA-STS's id must change whenever the policy does; the policy names the MX host.
    const stsId = createHash('sha256').update(this.options.hostname).digest('hex').slice(0, 20);
    return {
      domain,
      records: [
        { type: 'MX', name: at, content: `10 ${host}` },
        { type: 'TXT', name: at, content: 'v=spf1 mx ra=postmaster -all' },
        ...keys.map((k): DnsRecord => ({ type: 'TXT', name: k.dnsName, content: k.dnsRecord })),
        // Quarantine only once this server signs the domain's mail: before that only SPF could
        // align, and SPF breaks on every forward.
        { type: 'TXT', name: `_dmarc.${at}`, content: `v=DMARC1; p=${keys.length > 0 ? 'quarantine' : 'none'}; rua=mailto:postmaster@${domain}` },
        { type: 'TXT', name: `_mta-sts.${at}`, content: `v=STSv1; id=${stsId}` },
        { type: 'TXT', name: `_smtp._tls.${at}`, content: `v=TLSRPTv1; rua=mailto:postmaster@${domain}` },
        srv('submission', ports.submission),
        srv('submissions', ports.submissions),
        srv('imap', ports.imap),
        srv('imaps', ports.imaps),
        absent('pop3'),
        absent('pop3s'),
        srv('jmap', ports.http),
        { type: 'CNAME', name: `autoconfig.${at}`, content: host },
        { type: 'CNAME', name: `autodiscover.${at}`, content: host },
      ],
    };
  }
}
