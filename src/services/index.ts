import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { AppPasswords } from './auth/app-passwords.ts';
import { AuthService } from './auth/authenticate.ts';
import { AuthLog } from './auth/authlog.ts';
import { CredentialService } from './auth/credentials.ts';
import { AuthThrottle } from './auth/throttle.ts';
import { TotpService } from './auth/totp.ts';
import { TokenService } from './auth/tokens.ts';
import { BlobService } from './blobs/blobs.ts';
import { DeliveryService } from './delivery/delivery.ts';
import { DkimService } from './dkim/keys.ts';
import { DnsRecordService } from './dns/records.ts';
import { InboundAuth, systemResolver, type DNSResolver } from './delivery/inbound-auth.ts';
import { IngestService, type IngestMetrics } from './delivery/ingest.ts';
import { DirectoryService } from './directory/directory.ts';
import { PrincipalService } from './directory/principals.ts';
import { IdentityService } from './identities/index.ts';
import { ImapFolders } from './imap/folders.ts';
import { ImapMail } from './imap/mail.ts';
import { EmailWriter } from './mail/email-writer.ts';
import { PackedBlobs } from './mail/packed-blobs.ts';
import { ParsePool } from './mail/parse-pool.ts';
import { MailboxService } from './mail/mailboxes.ts';
import { MessageService } from './mail/messages.ts';
import { PoolMailService } from './mail/pool-mail.ts';
import { ChangeFeed } from './mail/changes.ts';
import { OAuthService } from './oauth/provider.ts';
import { PdpaService } from './pdpa/index.ts';
import { QueueAdmin } from './outbound/admin.ts';
import { OutboundQueue } from './outbound/queue.ts';
import { Router } from './outbound/routes.ts';
import { httpsPolicyFetcher, MtaSts, type PolicyFetcher } from './outbound/mta-sts.ts';
import { SmtpPool } from './outbound/smtp-client.ts';
import { DeliveryTroubleshooter } from './outbound/troubleshoot.ts';
import { PushService } from './push/index.ts';
import { RemoteAccountService } from './remote/accounts.ts';
import { Mirror } from './remote/imap/mirror.ts';
import { JmapProxy } from './remote/jmap/proxy.ts';
import { SyncSupervisor } from './remote/supervisor.ts';
import { UpstreamGate } from './remote/upstream-gate.ts';
import { SecretBox } from './secrets/box.ts';
import { EmailSubmissionService } from './submission/email-submissions.ts';
import { SubmissionService } from './submission/submission.ts';
import { VacationResponder } from './vacation/responder.ts';
import { VacationService } from './vacation/settings.ts';
import { parseSchedule } from './webhooks/retry.ts';
import { WebhookService } from './webhooks/index.ts';

/** Every service, wired once; protocols receive this and nothing below it. */
export interface Services {
  directory: DirectoryService;
  principals: PrincipalService;
  mailboxes: MailboxService;
  messages: MessageService;
  /** The mail of several accounts of a pool read as one collection (IMAP2API's email list). */
  poolMail: PoolMailService;
  ingest: IngestService;
  delivery: DeliveryService;
  /** SPF, DKIM, DMARC and ARC verdicts for mail arriving at the MX. */
  inboundAuth: InboundAuth;
  tokens: TokenService;
  blobs: BlobService;
  identities: IdentityService;
  /** Read access to the change log and bus for live update streams. */
  changes: ChangeFeed;
  /** Account export and import as PDPA zip archives. */
  pdpa: PdpaService;
  /** JMAP push subscriptions; delivers StateChanges until stop(). */
  push: PushService;
  /** Mail leaving through the outbound queue; delivers only between start() and stop(). */
  queue: OutboundQueue;
  /** The queue as administrators see it: list, reschedule, cancel, stop and start. */
  queueAdmin: QueueAdmin;
  /** JMAP VacationResponse settings; delivery answers with them. */
  vacation: VacationService;
  /** Mirrored (remote) accounts: settings and sync state. */
  remotes: RemoteAccountService;
  /** Method calls, uploads and downloads of proxied JMAP accounts, sent to their upstream. */
  jmapProxy: JmapProxy;
  /** The sync workers of mirrored accounts; they run only between start() and stop(). */
  mirrors: SyncSupervisor;
  /** The blob files of mirrored mail, written after it is indexed; runs between the mirrors' start() and stop(). */
  packedBlobs: PackedBlobs;
  /** Upstream connections for writes to mirrored accounts; closeAll() at shutdown. */
  upstreams: UpstreamGate;
  /** Outgoing webhooks; dispatches and sends only between start() and stop(). */
  webhooks: WebhookService;
  /** Every login of every protocol: passwords, app passwords, 2FA, throttling, the auth log. */
  auth: AuthService;
  /** A user's app passwords and TOTP second factor. */
  credentials: CredentialService;
  /** Mail users send over SMTP submission: sender checks, rate limit, Sent copy, queue. */
  submission: SubmissionService;
  /** JMAP EmailSubmission: Emails sent through `submission`, and the record of each. */
  emailSubmissions: EmailSubmissionService;
  /** DKIM keys per domain; the queue signs with them. */
  dkim: DkimService;
  /** The DNS records to publish for a domain. */
  dns: DnsRecordService;
  /** What delivery to a recipient would meet, as far as RCPT. */
  troubleshoot: DeliveryTroubleshooter;
  /** Gannet as an OAuth2/OpenID provider: clients, grants, and the access tokens every face accepts. */
  oauth: OAuthService;
  /** Mailboxes by IMAP name and mail in IMAP's terms, for IMAP sessions. */
  imap: { folders: ImapFolders; mail: ImapMail };
}

const DAY_MS = 86_400_000;

/**
 * What tests may replace without a config key: DNS answers (inbound authentication, MX and
 * MTA-STS lookups), and for outbound delivery the port MX hosts listen on, the MTA-STS policy
 * fetch and extra trust anchors for verified TLS.
 */
export interface ServiceDependencies {
  resolver?: DNSResolver;
  /** `ca`: what certificates of servers Gannet connects to (MX, relays, mirrored IMAP) are checked against, instead of Node's roots. */
  outbound?: { mxPort?: number; fetchPolicy?: PolicyFetcher; ca?: string | string[] };
}

export function createServices(store: Store, config: Config, metrics?: IngestMetrics, log?: Logger, deps: ServiceDependencies = {}): Services {
  const writer = new EmailWriter(store);
  const mailboxes = new MailboxService(store, writer);
  const directory = new DirectoryService(store, mailboxes, config.defaultQuota);
  const ingest = new IngestService(store, writer, config.maxMessageSize, metrics);
  const delivery = new DeliveryService(store, ingest, config.hostname, config.postmasterAddress, log);
  const box = new SecretBox(config.secretKey, config.dataDir);
  const dkim = new DkimService(store, directory, box, log);
  const resolver = deps.resolver ?? systemResolver(config.dnsServers);
  const mtaSts = new MtaSts(resolver, deps.outbound?.fetchPolicy ?? httpsPolicyFetcher({ ca: deps.outbound?.ca }));
  const router = new Router(config, { resolver, mtaSts, mxPort: deps.outbound?.mxPort }, log);
  const discovery = { autoconfigUrls: config.autoconfigUrls.split(',').map((u) => u.trim()).filter(Boolean), dnsServers: config.dnsServers };
  const remotes = new RemoteAccountService(store, directory, mailboxes, box, discovery, deps.outbound?.ca, log);
  const smtp = new SmtpPool({ clientName: config.hostname, perHost: config.outboundConnectionsPerHost, ca: deps.outbound?.ca });
  const queue = new OutboundQueue(
    store,
    writer,
    delivery,
    router,
    { hostname: config.hostname, expiryMs: config.queueExpiryDays * DAY_MS, delayNoticeMs: config.queueDelayNoticeHours * 3_600_000, signer: dkim, smtp, accountRelay: (id) => remotes.outgoingServer(id) },
    log,
  );
  delivery.forwardWith((m) => queue.enqueue({ ...m, origin: 'list' }));
  const responder = new VacationResponder(store, queue, config.hostname, config.vacationPeriodDays * DAY_MS, log);
  delivery.onDelivered((m) => responder.consider(m));
  const messages = new MessageService(store, writer);
  const webhooks = new WebhookService(store, directory, messages, { schedule: parseSchedule(config.webhookRetrySchedule), timeoutMs: config.webhookTimeoutSeconds * 1000 }, log);
  const gate = new UpstreamGate(store, remotes);
  const packedBlobs = new PackedBlobs(store, log);
  const folders = new ImapFolders(store, mailboxes, messages);
  const imapMail = new ImapMail(store, messages, ingest, writer, folders);
  for (const service of [ingest, messages, mailboxes, imapMail]) service.useUpstream(gate);
  const mirrors = new SyncSupervisor(
    store,
    remotes,
    { store, ingest, mirror: new Mirror(store, writer, mailboxes), packed: packedBlobs, parser: new ParsePool(log), exclusive: (id, fn) => gate.exclusive(id, fn) },
    { tickMs: 30_000, pollMs: config.mirrorPollSeconds * 1000, backoffMs: 1000, maxBackoffMs: 15 * 60_000 },
    {
      synced: (accountId) => webhooks.emit(accountId, 'sync.completed', {}),
      failed: (accountId, error) => webhooks.emit(accountId, 'account.error', { error }),
    },
    log,
  );
  remotes.attach(mirrors);
  const submission = new SubmissionService(store, ingest, queue, { hostname: config.hostname, recipientsPerHour: config.submissionRecipientsPerHour }, log);
  const auth = new AuthService(
    store,
    directory,
    new AppPasswords(store),
    new TotpService(store, box, config.totpIssuer || config.hostname),
    new AuthLog(store, config.authLogRetentionDays),
    new AuthThrottle({
      perAddress: config.loginFailuresPerAddress,
      perAccount: config.loginFailuresPerUser,
      windowMs: config.loginFailureWindowMinutes * 60_000,
      lockoutMs: config.loginLockoutMinutes * 60_000,
      maxDelayMs: config.loginFailureDelayMaxMs,
    }),
  );
  return {
    directory,
    principals: new PrincipalService(store, directory, config.defaultQuota),
    mailboxes,
    messages,
    poolMail: new PoolMailService(store, messages),
    ingest,
    delivery,
    inboundAuth: new InboundAuth({ hostname: config.hostname, policy: config.dmarcPolicy, resolver }, log),
    tokens: new TokenService(store, directory, config.adminToken, config.sessionTokenTtl),
    changes: new ChangeFeed(store),
    blobs: new BlobService(store, writer, config.maxMessageSize),
    identities: new IdentityService(store),
    pdpa: new PdpaService(mailboxes, messages, ingest, config.hostname, config.maxMessageSize),
    push: new PushService(store, undefined, log && ((message, err) => log.warn({ err }, `push: ${message}`))),
    queue,
    queueAdmin: new QueueAdmin(store, queue, writer, log),
    vacation: new VacationService(store),
    remotes,
    jmapProxy: new JmapProxy(store, box, log),
    mirrors,
    packedBlobs,
    upstreams: gate,
    webhooks,
    auth,
    credentials: new CredentialService(auth),
    imap: { folders, mail: imapMail },
    oauth: new OAuthService(store, directory, box, {
      issuer: config.oauthIssuer,
      accessTokenTtl: config.oauthAccessTokenTtl,
      refreshTokenTtl: config.oauthRefreshTokenTtl,
      devicePollInterval: config.oauthDevicePollInterval,
    }),
    dkim,
    dns: new DnsRecordService(directory, dkim, {
      hostname: config.hostname,
      ports: { submission: config.submissionPort, submissions: config.submissionsPort, imap: config.imapPort, imaps: config.imapsPort, http: config.httpPort },
    }),
    troubleshoot: new DeliveryTroubleshooter(router, { hostname: config.hostname, ca: deps.outbound?.ca }),
    submission,
    emailSubmissions: new EmailSubmissionService(store, submission, messages, queue, config.maxRecipients),
  };
}
