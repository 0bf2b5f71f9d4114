import { Type, type Static } from '@sinclair/typebox';

/**
 * The whole configuration. Every key can come from the config file (same name) or from the
 * environment as GANNET_ + the key in UPPER_SNAKE_CASE (httpPort → GANNET_HTTP_PORT); the
 * environment wins. Defaults are what `npm start` on a fresh checkout runs with.
 */
const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description: `${description} (0 picks a free port)` });

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './data', description: 'Folder for the SQLite database, blobs and generated keys' }),
    databaseUrl: Type.String({ default: '', description: 'Empty: SQLite in the data dir; sqlite:/path/to/file.db; postgres://user:pass@host:port/db' }),
    hostname: Type.String({ minLength: 1, default: 'localhost', description: 'Name this server uses in SMTP greetings and Received headers' }),
    adminToken: Type.String({ default: '', description: 'Admin bearer token; if empty one is generated at first start and printed once' }),
    listenAddress: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address the HTTP, SMTP and LMTP listeners bind to' }),
    httpPort: Port(8080, 'HTTP port for the REST API'),
    mgmtAddress: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address of the management listener (healthz, metrics, accounts API)' }),
    mgmtPort: Port(8081, 'Management port'),
    mgmtToken: Type.String({ default: '', description: 'Bearer token the management accounts API then requires; empty: none (keep mgmtAddress on loopback)' }),
    smtpPort: Port(2525, 'SMTP (MX role) port'),
    lmtpPort: Port(2424, 'LMTP port'),
    imapPort: Port(1143, 'IMAP port (STARTTLS offered)'),
    imapsPort: Port(1993, 'IMAP port with implicit TLS'),
    submissionPort: Port(5870, 'SMTP submission port (STARTTLS, then AUTH)'),
    submissionsPort: Port(4650, 'SMTP submission port with implicit TLS'),
    submissionRecipientsPerHour: Type.Integer({ minimum: 0, default: 500, description: 'Recipients each user may send to per hour over submission; 0: unlimited' }),
    tlsCertFile: Type.String({ default: '', description: 'PEM certificate (chain) for TLS on the mail ports; empty: a self-signed one is generated in the data dir at first start' }),
    tlsKeyFile: Type.String({ default: '', description: 'PEM private key of tlsCertFile' }),
    plaintextAuth: Type.Union([Type.Literal('never'), Type.Literal('loopback'), Type.Literal('always')], {
      default: 'never',
      description: 'Whether passwords may be sent before TLS: never (LOGINDISABLED until STARTTLS), loopback (from 127.0.0.1/::1 only, for tests and local tools) or always',
    }),
    loginFailuresPerAddress: Type.Integer({ minimum: 1, default: 20, description: 'Failed logins from one client address (any account, any protocol) within loginFailureWindowMinutes before that address is locked out' }),
    loginFailuresPerUser: Type.Integer({ minimum: 1, default: 10, description: 'Failed logins for one account from one client address within loginFailureWindowMinutes before that address is locked out of that account' }),
    loginFailureWindowMinutes: Type.Integer({ minimum: 1, default: 15, description: 'Window over which failed logins are counted' }),
    loginLockoutMinutes: Type.Integer({ minimum: 1, default: 15, description: 'How long a locked-out address (or address and account) is refused without its password being checked' }),
    loginFailureDelayMaxMs: Type.Integer({ minimum: 0, maximum: 30000, default: 4000, description: 'Longest delay before a failed login is answered (125 ms doubling per failure); 0: no delay' }),
    authLogRetentionDays: Type.Integer({ minimum: 1, default: 30, description: 'How long auth log entries (every login attempt and credential change) are kept' }),
    totpIssuer: Type.String({ maxLength: 100, default: '', description: 'Issuer name authenticator apps show for TOTP set up here; empty: hostname' }),
    maxMessageSize: Type.Integer({ minimum: 1024, default: 50 * 1024 * 1024, description: 'Largest message accepted on any ingest path, in bytes' }),
    defaultQuota: Type.Integer({ minimum: 0, default: 0, description: 'Quota in bytes for new users when none is given; 0 means unlimited' }),
    sessionTokenTtl: Type.Integer({ minimum: 60, default: 86400, description: 'Lifetime of tokens from POST /api/v1/auth/token, in seconds' }),
    oauthIssuer: Type.String({
      default: '',
      pattern: '^$|^https?://[^\\s?#]+$',
      description: 'Issuer URL of the OAuth/OpenID provider (https://mail.example.com); empty: the scheme and host each request reached the HTTP port at',
    }),
    oauthAccessTokenTtl: Type.Integer({ minimum: 1, default: 900, description: 'Lifetime of OAuth access tokens (signed JWTs, not revocable one by one), in seconds' }),
    oauthRefreshTokenTtl: Type.Integer({ minimum: 60, default: 30 * 86400, description: 'Lifetime of an OAuth refresh token, in seconds; each use rotates it and starts a new lifetime' }),
    oauthDevicePollInterval: Type.Integer({ minimum: 1, maximum: 60, default: 5, description: 'Seconds a device (RFC 8628) must wait between polls of the token endpoint' }),
    changeLogRetentionDays: Type.Integer({ minimum: 1, default: 90, description: 'How long the change log is kept; older sync states must resync fully' }),
    postmasterAddress: Type.String({ default: '', description: 'Local address that receives mail for postmaster@<any local domain> and <postmaster> when nothing else does (RFC 5321 §4.5.1)' }),
    maxRecipients: Type.Integer({ minimum: 1, default: 100, description: 'Recipients accepted per SMTP/LMTP transaction' }),
    relayHost: Type.String({
      default: '',
      pattern: '^$|^(\\[[^\\]]+\\]|[^:\\s,=]+):[0-9]{1,5}$',
      description: 'host:port that all remote mail is handed to (a smarthost); empty: deliver by MX lookup',
    }),
    relayRoutes: Type.String({
      default: '',
      pattern: '^$|^[^=,\\s]+=(\\[[^\\]]+\\]|[^:\\s,=]+):[0-9]{1,5}(,[^=,\\s]+=(\\[[^\\]]+\\]|[^:\\s,=]+):[0-9]{1,5})*$',
      description: 'Static routes for remote mail, domain=host:port[,domain=host:port…]; they win over relayHost and MX',
    }),
    dnsServers: Type.String({ default: '', description: 'Comma-separated DNS servers for MX lookups and inbound SPF/DKIM/DMARC/ARC checks; empty: the system resolver' }),
    outboundConnectionsPerHost: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'SMTP connections open at once from this node to one remote host; an idle one carries the next message to that host for 5 s' }),
    dmarcPolicy: Type.Union([Type.Literal('enforce'), Type.Literal('report-only')], {
      default: 'enforce',
      description: 'What the MX does with mail failing DMARC: enforce (p=reject refused, p=quarantine to Junk) or report-only (Authentication-Results header only)',
    }),
    queueExpiryDays: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'How long the outbound queue keeps retrying a recipient before giving up' }),
    queueDelayNoticeHours: Type.Number({ exclusiveMinimum: 0, default: 4, description: 'A recipient still undelivered this long after queueing gets the sender one "delayed" DSN' }),
    vacationPeriodDays: Type.Number({ exclusiveMinimum: 0, default: 7, description: 'A vacation response goes to each sender at most once in this many days (RFC 3834 §2)' }),
    secretKey: Type.String({
      default: '',
      pattern: '^$|^[A-Za-z0-9+/]{43}=$',
      description: 'Base64 32-byte key sealing upstream passwords at rest; empty: one is generated in the data dir (every node of a cluster needs the same)',
    }),
    mirrorPollSeconds: Type.Integer({ minimum: 1, default: 300, description: 'Longest time between full syncs of a mirrored account (INBOX is watched with IDLE in between)' }),
    autoconfigUrls: Type.String({
      default: 'https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email},https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}',
      description: 'Comma-separated autoconfig URL templates tried when a mirrored account is added without an IMAP host',
    }),
    webhookRetrySchedule: Type.String({
      default: '10s,30s,2m,10m,1h',
      pattern: '^[0-9]+[smh](,[0-9]+[smh])*$',
      description: 'Delays before each retry of a failed webhook delivery (s, m, h); after the last one the delivery is given up',
    }),
    webhookTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 10, description: 'How long a webhook receiver has to answer before the attempt counts as failed' }),
    webhookLogRetentionDays: Type.Integer({ minimum: 1, default: 30, description: 'How long finished webhook deliveries stay in the delivery log' }),
    apiRateLimit: Type.Integer({
      minimum: 0,
      default: 1200,
      description: 'HTTP API requests per window per credential (each bearer token, each Basic login); 0: unlimited. The unlimited-requests permission exempts',
    }),
    apiAnonRateLimit: Type.Integer({ minimum: 0, default: 300, description: 'HTTP API requests per window per client address without valid credentials; 0: unlimited' }),
    apiRateLimitWindowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'Length of the fixed window the API rate limits count in' }),
    imap2apiPort: Type.Integer({
      minimum: -1,
      maximum: 65535,
      default: -1,
      description: 'Port of a listener serving the IMAP2API compatibility API at its root (it is always also under /compat/imap2api on httpPort); -1: no such listener, 0 picks a free port',
    }),
    imap2apiUserRateLimit: Type.Integer({ minimum: 0, default: 1000, description: 'IMAP2API requests per hour per authenticated user; 0: unlimited' }),
    imap2apiAnonRateLimit: Type.Integer({ minimum: 0, default: 100, description: 'IMAP2API requests per hour per client address without a valid token; 0: unlimited' }),
    imap2apiCorsOrigins: Type.String({
      default: '',
      pattern: '^$|^\\*$|^https?://[^\\s,/]+(,\\s*https?://[^\\s,/]+)*$',
      description: 'Origins whose browser scripts may call the IMAP2API API: comma-separated (https://app.example.com), or *; empty: none',
    }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Log level (pino)' },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
