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
}

export interface AccountRow {
  id: string;
  principal_id: string;
  kind: string;
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
  scope: 'admin' | 'user';
  description: string | null;
  expires_at: number | null;
  created_at: number;
}

export interface BlobRow {
  id: string;
  size: number;
  refcount: number;
  created_at: number;
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

export interface EmailRow {
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
  keywords: string;
  seen: number;
  flagged: number;
  structure: string;
  attachments: string;
  parse_error: string | null;
  created_modseq: number;
  updated_modseq: number;
}

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
  emails: EmailRow;
  email_mailboxes: EmailMailboxRow;
  changes: ChangeRow;
  uploads: UploadRow;
  identities: IdentityRow;
}
