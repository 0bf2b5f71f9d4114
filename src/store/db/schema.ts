/**
 * Row types of the metadata database, shared by SQLite and PostgreSQL. Booleans are stored as
 * 0/1 integers and times as epoch milliseconds so both backends read back identical values.
 */

export interface DomainRow {
  id: string;
  name: string;
  /** Address (user@domain) that receives mail for unknown local parts, or null. */
  catch_all: string | null;
  disabled: number;
  created_at: number;
}

export interface DomainAliasRow {
  alias: string;
  domain_id: string;
  created_at: number;
}

export interface PrincipalRow {
  id: string;
  type: string;
  username: string;
  password_hash: string | null;
  name: string | null;
  quota: number;
  disabled: number;
  created_at: number;
  updated_at: number;
  /** Columns of migration 022; optional so inserts may leave them to their defaults. */
  /** The tenant principal this one belongs to, or null. */
  tenant_id?: string | null;
  /** JSON arrays of permission names; disabled wins over roles and enabled. */
  enabled_permissions?: string;
  disabled_permissions?: string;
  /** JSON array of remote addresses a list also sends to. */
  external_members?: string;
  urls?: string;
}

/** `member_id` belongs to the group or list `group_id`. */
export interface PrincipalMemberRow {
  group_id: string;
  member_id: string;
  created_at: number;
}

/** `principal_id` holds `role`: a built-in role name or a role principal's id. */
export interface PrincipalRoleRow {
  principal_id: string;
  role: string;
  created_at: number;
}

export interface AccountRow {
  id: string;
  principal_id: string;
  /** 'local', or a mirrored upstream: 'imap' | 'jmap'. */
  kind: string;
  /** What clients show for the account (JMAP Account.name). */
  name: string;
  /** 1 for the principal's one primary account: local, where its addresses deliver. */
  is_primary: number;
  modseq: number;
  used_bytes: number;
  created_at: number;
}

export interface AddressRow {
  /** Lower-cased address, the lookup key. `*@domain` is a wildcard. */
  address: string;
  /** The address as the admin wrote it. */
  display: string;
  principal_id: string;
  domain_id: string;
  is_main: number;
  created_at: number;
}

export interface MappingRow {
  id: string;
  /** Lower-cased source address. */
  source: string;
  kind: 'alias' | 'forward' | 'group';
  target: string;
  created_at: number;
}

export interface TokenRow {
  id: string;
  token_hash: string;
  principal_id: string | null;
  /** 'key': a secret of an apiKey principal (ADR 0026). */
  scope: 'admin' | 'user' | 'key';
  description: string | null;
  expires_at: number | null;
  created_at: number;
}

export interface BlobRow {
  id: string;
  size: number;
  refcount: number;
  created_at: number;
  /** Set while the bytes are still in a staging pack, from `pack_offset`, rather than a file (ADR 0033). */
  pack: string | null;
  pack_offset: number | null;
}

export interface MailboxRow {
  id: string;
  account_id: string;
  /** '' for a top-level mailbox, so (account, parent, name) can be unique on every backend. */
  parent_id: string;
  name: string;
  role: string | null;
  uidvalidity: number;
  uidnext: number;
  subscribed: number;
  sort_order: number;
  message_count: number;
  unseen_count: number;
  size: number;
  created_at: number;
  updated_modseq: number;
  /** The modseq of the last message that left this mailbox (QRESYNC). */
  expunge_modseq: number;
}

export interface ThreadRow {
  id: string;
  account_id: string;
  created_at: number;
}

export interface ThreadRefRow {
  account_id: string;
  /** A Message-ID (or References/In-Reply-To entry) known in the thread. */
  ref: string;
  thread_id: string;
}

/** The `emails` row: written at ingest, never changed but for its modseq; keywords live in email_flags. */
export interface EmailTable {
  /** Internal integer key, used only as the full-text index rowid; never exposed. */
  num?: number;
  id: string;
  account_id: string;
  blob_id: string;
  thread_id: string;
  size: number;
  received_at: number;
  sent_at: number | null;
  message_id: string | null;
  subject: string | null;
  subject_norm: string;
  from_json: string;
  to_json: string;
  cc_json: string;
  bcc_json: string;
  reply_to_json: string;
  sender_json: string;
  in_reply_to_json: string;
  references_json: string;
  preview: string;
  has_attachment: number;
  structure: string;
  /** JSON of the ENVELOPE fields (mime/envelope.ts); null for emails stored before it was kept. */
  envelope: string | null;
  attachments: string;
  parse_error: string | null;
  created_modseq: number;
  updated_modseq: number;
}

/** An email's keywords, apart from its wide row so a STORE rewrites little (ADR 0029). */
export interface EmailFlagsRow {
  email_id: string;
  account_id: string;
  /** A copy of the email's, so the partial indexes on seen and flagged order by time. */
  received_at: number;
  /** JSON array of lowercase keywords, sorted. */
  keywords: string;
  seen: number;
  flagged: number;
}

/** An email as readers see it: its row and its keywords. */
export type EmailRow = EmailTable & Pick<EmailFlagsRow, 'keywords' | 'seen' | 'flagged'>;

export interface EmailMailboxRow {
  email_id: string;
  mailbox_id: string;
  account_id: string;
  uid: number;
  modseq: number;
  received_at: number;
}

export interface ChangeRow {
  account_id: string;
  modseq: number;
  type: string;
  object_id: string;
  op: 'c' | 'u' | 'd';
  created_at: number;
}

export interface UploadRow {
  account_id: string;
  blob_id: string;
  type: string;
  size: number;
  created_at: number;
}

export interface IdentityRow {
  id: string;
  account_id: string;
  name: string;
  email: string;
  /** JSON EmailAddress[] or null (RFC 8621 §6 replyTo). */
  reply_to_json: string | null;
  bcc_json: string | null;
  text_signature: string;
  html_signature: string;
  created_at: number;
}

export interface PushSubscriptionRow {
  id: string;
  principal_id: string;
  account_id: string;
  device_client_id: string;
  url: string;
  /** Generated by the server and sent in the PushVerification; never chosen by the client. */
  verification_code: string;
  /** 1 once the client has echoed verification_code; nothing but the verification is sent before. */
  verified: number;
  expires: number;
  /** JSON string[] or null for every type. */
  types_json: string | null;
  /** JSON {p256dh, auth} (RFC 8291) or null: pushes are then sent unencrypted. */
  keys_json: string | null;
  created_at: number;
}

export interface QueueMessageRow {
  id: string;
  /** Reverse path; '' is the null sender (auto-replies, bounces). */
  mail_from: string;
  /** The raw message in the blob store; the queue holds one reference to it. */
  blob_id: string;
  size: number;
  /** What made it: 'vacation', 'submission', 'dsn'… */
  origin: string;
  account_id: string | null;
  created_at: number;
  expires_at: number;
  /** RFC 3461 RET: 'FULL' or 'HDRS', what a failure DSN returns of the message; null: not given. */
  dsn_ret: string | null;
  /** RFC 3461 ENVID, decoded from xtext; null: not given. */
  dsn_envid: string | null;
}

/** 'cancelled': an administrator took the recipient out of the queue. */
export type QueueStatus = 'queued' | 'delivered' | 'failed' | 'cancelled';

export interface QueueRecipientRow {
  id: string;
  message_id: string;
  address: string;
  domain: string;
  status: QueueStatus;
  attempts: number;
  next_attempt_at: number;
  /** A node owns the recipient until then (0: nobody), so each is tried by one node at a time. */
  lease_until: number;
  lease_owner: string | null;
  last_response: string | null;
  updated_at: number;
  /** RFC 3461 NOTIFY, comma-separated (NEVER, or some of SUCCESS, FAILURE, DELAY); null: FAILURE,DELAY. */
  dsn_notify: string | null;
  /** RFC 3461 ORCPT, "addr-type;address" decoded from xtext; null: not given. */
  dsn_orcpt: string | null;
  /** 1 once the "delayed" DSN for this recipient was queued. */
  delay_notified: number;
}

export interface VacationResponseRow {
  account_id: string;
  is_enabled: number;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
}

export interface VacationReplyRow {
  account_id: string;
  /** Lower-cased envelope sender answered. */
  sender: string;
  sent_at: number;
}

export interface RemoteAccountRow {
  account_id: string;
  num: number;
  /** The id a compatibility API named the account by (the JMAP proxy's accountid), if any. */
  external_id: string | null;
  protocol: 'imap' | 'jmap';
  email: string;
  /** JSON RemoteSettings: host, port, TLS mode, username, SMTP settings, sync limits, folders… */
  settings_json: string;
  /** The upstream password or token, sealed with the server key; never leaves the service. */
  secret: string | null;
  /** 'new' | 'syncing' | 'idle' | 'error' */
  status: string;
  /** JSON {folders: [{path, done, total}]} while syncing. */
  progress_json: string | null;
  last_sync_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  /** The node syncing the account holds it until then (one syncer per account across nodes). */
  lease_owner: string | null;
  lease_until: number;
  /** The node writing to the account (upstream first) or running a folder pass holds it until then. */
  write_owner: string | null;
  write_until: number;
  created_at: number;
  updated_at: number;
}

export interface WebhookRow {
  id: string;
  /** The user whose accounts the hook sees; null: a global hook (admin), every account. */
  owner_id: string | null;
  url: string;
  /** The HMAC-SHA256 signing key: kept readable, since signing needs it. */
  secret: string;
  /** JSON string[] of event types; ["*"] is every type. */
  events_json: string;
  enabled: number;
  /** Changes committed before this time (creation or the last enabling) are not delivered. */
  active_since: number;
  created_at: number;
  updated_at: number;
}

export interface RemoteFolderRow {
  id: string;
  account_id: string;
  mailbox_id: string;
  /** The folder's full name upstream. */
  path: string;
  uidvalidity: number;
  /** Every upstream UID below this has been seen. */
  uidnext: number;
  /** CONDSTORE: flag changes up to this modseq are applied. */
  highestmodseq: number;
  synced_at: number | null;
}

/** Downloaded and durable, not yet an email (ADR 0031). */
export interface RemoteStagedRow {
  folder_id: string;
  uid: number;
  /** Where the message's bytes are: a staging pack, from `pack_offset`, `size` bytes. */
  pack: string;
  pack_offset: number;
  size: number;
  /** Keywords as the upstream flags said, space-separated. */
  keywords: string;
  received_at: number | null;
}

export interface RemoteMessageRow {
  folder_id: string;
  uid: number;
  email_id: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRow {
  id: string;
  webhook_id: string;
  /** The event's id: derived from the change it reports, so it is the same however often that is dispatched. */
  event_id: string;
  event_type: string;
  account_id: string | null;
  /** The JSON body, fixed at dispatch so every attempt sends the same bytes. */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  /** A node owns the delivery until then (0: nobody), so each is attempted by one node at a time. */
  lease_until: number;
  lease_owner: string | null;
  response_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookCursorRow {
  account_id: string;
  /** Every change of the account at or below this modseq has been turned into deliveries. */
  modseq: number;
  /** With after_id: how far into modseq+1 a dispatch got, when one write's changes filled a page. '' when none. */
  after_type: string;
  after_id: string;
  updated_at: number;
}

/** 'ed25519' (RFC 8463) or 'rsa' (2048 bits). */
export type DkimAlgorithm = 'ed25519' | 'rsa';

export interface DkimKeyRow {
  domain_id: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM sealed with the server key (services/secrets/box.ts). */
  private_key: string;
  /** Base64 as published in the DNS record's p= tag: SPKI DER for RSA, the raw 32 bytes for Ed25519. */
  public_key: string;
  created_at: number;
}

/** A JMAP EmailSubmission (RFC 8621 §7); Gannet sends at once, so undo_status is always 'final'. */
export interface EmailSubmissionRow {
  id: string;
  account_id: string;
  identity_id: string;
  email_id: string;
  thread_id: string;
  /** JSON {mailFrom: {email, parameters}, rcptTo: [...]}. */
  envelope_json: string;
  send_at: number;
  undo_status: string;
  queue_id: string;
  /** JSON: recipient address → {smtpReply, delivered, displayed}. */
  delivery_status_json: string;
}

/** An address an administrator allows a user to send as (exact, or `*@domain`), lower-cased. */
export interface AllowedSenderRow {
  principal_id: string;
  address: string;
  created_at: number;
}

/** An OAuth client an administrator registered; public clients have no secret and must use PKCE. */
export interface OAuthClientRow {
  id: string;
  name: string;
  /** sha256 hex of the secret, shown once at registration; null for a public client. */
  secret_hash: string | null;
  /** JSON array of the exact redirect URIs allowed. */
  redirect_uris: string;
  /** Space-separated scopes the client may ask for. */
  scopes: string;
  created_at: number;
}

/**
 * A pending grant: an authorization code (kind 'code') or a device authorization (kind 'device',
 * with the user_code the person types). Status: pending → approved (or denied) → used.
 */
export interface OAuthGrantRow {
  id: string;
  kind: 'code' | 'device';
  /** sha256 hex of the code or device_code. */
  code_hash: string;
  user_code: string | null;
  client_id: string;
  principal_id: string | null;
  status: 'pending' | 'approved' | 'denied' | 'used';
  redirect_uri: string | null;
  scope: string;
  /** PKCE S256 challenge (RFC 7636), base64url. */
  code_challenge: string | null;
  nonce: string | null;
  /** Device flow: seconds a client must wait between polls (RFC 8628 §3.5). */
  interval_s: number;
  last_poll_at: number | null;
  expires_at: number;
  created_at: number;
}

/** A refresh token; each use rotates it within its family, and reuse of a used one revokes the family. */
export interface OAuthRefreshTokenRow {
  id: string;
  token_hash: string;
  family_id: string;
  client_id: string;
  principal_id: string;
  scope: string;
  used_at: number | null;
  expires_at: number;
  created_at: number;
}

/** The access and ID token signing key pair; the private JWK is sealed with the server key. */
export interface OAuthKeyRow {
  kid: string;
  algorithm: string;
  private_key: string;
  public_jwk: string;
  created_at: number;
}

/** An application-specific password: scopes as a JSON array, the secret only as its sha256. */
export interface AppPasswordRow {
  id: string;
  principal_id: string;
  description: string;
  scopes_json: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  last_ip: string | null;
}

/** A TOTP second factor; enabled 0 while set up but not yet verified. Recovery codes as a JSON array of sha256 hashes. */
export interface TotpSecretRow {
  principal_id: string;
  secret_sealed: string;
  enabled: number;
  last_step: number | null;
  recovery_json: string;
  created_at: number;
  enabled_at: number | null;
}

/** One authentication attempt or credential change (WildDuck's authlog entry). */
export interface AuthLogRow {
  id: string;
  principal_id: string | null;
  login: string;
  action: string;
  result: string;
  reason: string | null;
  protocol: string;
  mechanism: string | null;
  scope: string | null;
  asp_id: string | null;
  ip: string | null;
  created_at: number;
}

/** Failed authentications counted per key (client address, account from an address, account). */
export interface AuthFailureRow {
  key: string;
  failures: number;
  window_start: number;
  last_at: number;
  locked_until: number;
}

export interface Tables {
  domains: DomainRow;
  domain_aliases: DomainAliasRow;
  principals: PrincipalRow;
  accounts: AccountRow;
  addresses: AddressRow;
  mappings: MappingRow;
  tokens: TokenRow;
  blobs: BlobRow;
  mailboxes: MailboxRow;
  threads: ThreadRow;
  thread_refs: ThreadRefRow;
  emails: EmailTable;
  email_flags: EmailFlagsRow;
  email_mailboxes: EmailMailboxRow;
  changes: ChangeRow;
  uploads: UploadRow;
  identities: IdentityRow;
  push_subscriptions: PushSubscriptionRow;
  queue_messages: QueueMessageRow;
  queue_recipients: QueueRecipientRow;
  vacation_responses: VacationResponseRow;
  vacation_replies: VacationReplyRow;
  remote_accounts: RemoteAccountRow;
  remote_folders: RemoteFolderRow;
  remote_messages: RemoteMessageRow;
  remote_staged: RemoteStagedRow;
  webhooks: WebhookRow;
  webhook_deliveries: WebhookDeliveryRow;
  webhook_cursors: WebhookCursorRow;
  dkim_keys: DkimKeyRow;
  email_submissions: EmailSubmissionRow;
  allowed_senders: AllowedSenderRow;
  oauth_clients: OAuthClientRow;
  oauth_grants: OAuthGrantRow;
  oauth_refresh_tokens: OAuthRefreshTokenRow;
  oauth_keys: OAuthKeyRow;
  principal_members: PrincipalMemberRow;
  principal_roles: PrincipalRoleRow;
  app_passwords: AppPasswordRow;
  totp_secrets: TotpSecretRow;
  authlog: AuthLogRow;
  auth_failures: AuthFailureRow;
}
