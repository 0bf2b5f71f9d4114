import { Type, type TSchema } from '@sinclair/typebox';
import { ALL_EVENTS, EVENT_TYPES, PING } from '../../../services/webhooks/events.ts';
import { PRINCIPAL_TYPES } from '../../../services/directory/principal-views.ts';

/** Shared TypeBox schemas: they validate requests, shape responses and generate the OpenAPI document. */

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const problemRef = Type.Ref('Problem');

/** Standard error responses, so every route documents its problem details. */
export function errors(...codes: number[]) {
  return Object.fromEntries(codes.map((c) => [c, problemRef]));
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50, description: 'Page size (1-250)' })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'Opaque cursor from a previous page\'s `next`' })),
};

export function Page<T extends TSchema>(item: T, description: string) {
  return Type.Object(
    { total: Type.Integer(), results: Type.Array(item), next: Nullable(Type.String({ description: 'Cursor of the next page, null on the last' })) },
    { description },
  );
}

export const DomainSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    aliases: Type.Array(Type.String()),
    catchAll: Nullable(Type.String()),
    disabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Domain' },
);

export const AddressSchema = Type.Object(
  { address: Type.String(), main: Type.Boolean(), user: Type.String(), createdAt: Type.String({ format: 'date-time' }) },
  { $id: 'Address' },
);

export const AllowedSenderSchema = Type.Object(
  {
    address: Type.String({ description: 'Lower-cased; `*@domain` allows every address of the domain' }),
    user: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AllowedSender', description: 'An address an administrator allows a user to send as without owning it' },
);

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    name: Nullable(Type.String()),
    address: Nullable(Type.String()),
    addresses: Type.Array(Type.Ref('Address')),
    quota: Type.Object({ limit: Type.Integer({ description: 'Bytes; 0 means unlimited' }), used: Type.Integer() }),
    disabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);

export const MappingSchema = Type.Object(
  {
    id: Type.String(),
    source: Type.String(),
    kind: Type.Union([Type.Literal('alias'), Type.Literal('forward'), Type.Literal('group')]),
    target: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Mapping' },
);

export const MailboxSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    path: Type.String(),
    parentId: Nullable(Type.String()),
    role: Nullable(Type.String()),
    subscribed: Type.Boolean(),
    sortOrder: Type.Integer(),
    total: Type.Integer(),
    unseen: Type.Integer(),
    size: Type.Integer(),
    uidValidity: Type.Integer(),
    uidNext: Type.Integer(),
  },
  { $id: 'Mailbox' },
);

export const EmailAddressSchema = Type.Object({ name: Nullable(Type.String()), email: Type.String() }, { $id: 'EmailAddress' });
const addressList = Type.Array(Type.Ref('EmailAddress'));

const summaryProps = {
  id: Type.String(),
  threadId: Type.String(),
  mailboxIds: Type.Array(Type.String()),
  subject: Nullable(Type.String()),
  from: Nullable(Type.Ref('EmailAddress')),
  to: addressList,
  cc: addressList,
  date: Nullable(Type.String({ format: 'date-time', description: 'The Date header' })),
  receivedAt: Type.String({ format: 'date-time' }),
  size: Type.Integer(),
  preview: Type.String(),
  keywords: Type.Array(Type.String()),
  seen: Type.Boolean(),
  flagged: Type.Boolean(),
  hasAttachment: Type.Boolean(),
};

export const MessageSummarySchema = Type.Object(summaryProps, { $id: 'MessageSummary' });

export const AttachmentSchema = Type.Object(
  {
    id: Type.String(),
    filename: Nullable(Type.String()),
    contentType: Type.String(),
    disposition: Nullable(Type.String()),
    contentId: Nullable(Type.String()),
    size: Type.Integer(),
  },
  { $id: 'Attachment' },
);

export const MessageDetailSchema = Type.Object(
  {
    ...summaryProps,
    messageId: Nullable(Type.String()),
    inReplyTo: Type.Array(Type.String()),
    references: Type.Array(Type.String()),
    sender: addressList,
    replyTo: addressList,
    bcc: addressList,
    text: Nullable(Type.String()),
    html: Nullable(Type.String()),
    attachments: Type.Array(Type.Ref('Attachment')),
    headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    parseError: Nullable(Type.String()),
  },
  { $id: 'MessageDetail' },
);

// One enum, so a wrong value is one error naming the allowed ones rather than one per type.
export const WebhookEventType = Type.Unsafe<string>({ type: 'string', enum: [ALL_EVENTS, ...EVENT_TYPES], description: `An event type, or \`${ALL_EVENTS}\` for all` });

export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    userId: Nullable(Type.String({ description: 'The user whose accounts the webhook sees; null: a global webhook (admin), every account' })),
    url: Type.String(),
    events: Type.Array(WebhookEventType),
    enabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    secret: Type.Optional(Type.String({ description: 'The HMAC-SHA256 signing secret: returned only when created or rotated' })),
  },
  { $id: 'Webhook' },
);

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'Sent as X-Gannet-Delivery' }),
    eventId: Type.String({ description: 'The payload\'s `id`: the same on every attempt' }),
    type: Type.String({ description: `The event type (or \`${PING}\`)` }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(Type.String({ format: 'date-time' })),
    responseStatus: Nullable(Type.Integer({ description: 'HTTP status of the last attempt' })),
    error: Nullable(Type.String({ description: 'Why the last attempt failed' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    payload: Type.Object({}, { additionalProperties: true, description: 'The JSON body sent' }),
  },
  { $id: 'WebhookDelivery' },
);

const remoteCommon = {
  id: Type.String({ description: 'The account id: the one JMAP, REST and every other face use' }),
  userId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  username: Type.String(),
  status: Type.String({ description: 'new, syncing, idle or error' }),
  lastSyncAt: Nullable(Type.String({ format: 'date-time' })),
  lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Type.String({ format: 'date-time' })),
};

export const RemoteSchema = Type.Union(
  [
    Type.Object(
      {
        ...remoteCommon,
        protocol: Type.Literal('imap'),
        imap: Type.Object({ host: Type.String(), port: Type.Integer(), tls: Type.Integer() }),
        smtp: Nullable(Type.Object({ host: Type.String(), port: Type.Integer(), tls: Type.Integer() })),
        sync: Type.Object({ limitType: Type.String(), limitValue: Nullable(Type.Integer()), folders: Nullable(Type.Array(Type.String())), excludeTrash: Type.Boolean() }),
        progress: Nullable(
          Type.Array(
            Type.Object({
              path: Type.String(),
              done: Type.Integer({ description: 'New messages downloaded and stored durably' }),
              total: Type.Integer({ description: 'New messages to download' }),
              indexed: Type.Integer({ description: 'Of those, made into emails: searchable and visible' }),
            }),
            { description: 'Per folder while a sync runs' },
          ),
        ),
        folders: Type.Integer(),
        messages: Type.Integer(),
      },
      { description: 'A mirrored IMAP account: its mail is copied into this server' },
    ),
    Type.Object(
      {
        ...remoteCommon,
        protocol: Type.Literal('jmap'),
        jmap: Type.Object({
          sessionUrl: Type.String(),
          authType: Type.String({ description: 'basic or bearer' }),
          apiUrl: Type.String(),
          downloadUrl: Type.String(),
          uploadUrl: Type.String(),
          upstreamAccountId: Type.String({ description: "The upstream server's id of the account, which JMAP calls are rewritten to" }),
        }),
      },
      { description: 'A proxied JMAP account: nothing is stored here; JMAP calls go to the upstream server' },
    ),
  ],
  { $id: 'RemoteAccount', description: 'A remote account; its password is never returned' },
);

export const QueueStatusSchema = Type.Unsafe<'pending' | 'deferred' | 'failed' | 'delivered' | 'cancelled'>({
  type: 'string',
  enum: ['pending', 'deferred', 'failed', 'delivered', 'cancelled'],
  description: 'pending: not tried yet; deferred: tried, waiting for a retry; failed: refused for good or expired; cancelled: by an administrator',
});

export const QueuedMessageSchema = Type.Object(
  {
    id: Type.String(),
    from: Type.String({ description: 'The reverse path; empty for the null sender' }),
    size: Type.Integer(),
    origin: Type.String({ description: 'What queued it: vacation, submission…' }),
    accountId: Nullable(Type.String()),
    blobId: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time', description: 'Recipients still waiting then fail' }),
    status: QueueStatusSchema,
    recipients: Type.Array(
      Type.Object({
        address: Type.String(),
        domain: Type.String(),
        status: QueueStatusSchema,
        attempts: Type.Integer(),
        nextAttemptAt: Nullable(Type.String({ format: 'date-time', description: 'Null once settled' })),
        inFlight: Type.Boolean({ description: 'A node is trying it right now' }),
        lastResponse: Nullable(Type.String({ description: 'The last reply or error' })),
        updatedAt: Type.String({ format: 'date-time' }),
      }),
    ),
  },
  { $id: 'QueuedMessage', description: 'A message in the outbound queue; it leaves the queue once no recipient is waiting' },
);

export const QueueStateSchema = Type.Object(
  {
    running: Type.Boolean({ description: "Whether this node's queue runner delivers; a stopped queue still accepts mail" }),
    messages: Type.Integer({ description: 'Messages in the queue (all nodes sharing the database)' }),
  },
  { $id: 'QueueState' },
);

const Names = (description: string) => Type.Array(Type.String({ maxLength: 320 }), { maxItems: 10000, description });

/** Every field a principal has, as both principal APIs show it (secrets are write-only). */
export const PrincipalSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Union(PRINCIPAL_TYPES.map((t) => Type.Literal(t))),
    name: Type.String({ description: 'Login name; for a domain, the domain name' }),
    description: Nullable(Type.String()),
    quota: Type.Integer({ description: "Bytes, 0 = unlimited: an individual's mailbox limit, a tenant's total over its individuals" }),
    emails: Names('Addresses; the first is the main one'),
    urls: Names('URLs'),
    memberOf: Names('Groups this principal belongs to'),
    roles: Names('Roles held: built-in `admin` or `user`, or role principals (an individual holding none has `user`)'),
    lists: Names('Mailing lists this principal belongs to'),
    members: Names("A group's or list's members; a role's holders; a tenant's principals"),
    enabledPermissions: Names('Permissions granted on top of the roles'),
    disabledPermissions: Names('Permissions withheld whatever the roles grant'),
    externalMembers: Names("A list's remote recipients"),
    tenant: Nullable(Type.String({ description: 'The tenant this principal belongs to' })),
    disabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Principal' },
);

export const SHARED_SCHEMAS = [
  PrincipalSchema,
  RemoteSchema,
  ProblemSchema,
  DomainSchema,
  AddressSchema,
  AllowedSenderSchema,
  UserSchema,
  MappingSchema,
  MailboxSchema,
  EmailAddressSchema,
  MessageSummarySchema,
  AttachmentSchema,
  MessageDetailSchema,
  WebhookSchema,
  WebhookDeliverySchema,
  QueuedMessageSchema,
  QueueStateSchema,
];

export const UserParam = Type.String({ minLength: 1, maxLength: 320, description: 'A user id, or `me` for the authenticated user' });
export const IdParam = (what: string) => Type.String({ minLength: 1, maxLength: 64, description: `${what} id` });

/** `{user}/mailboxes/{mailbox}`: the mailbox by id or by role. */
export const MailboxParams = Type.Object({ user: UserParam, mailbox: Type.String({ minLength: 1, maxLength: 64, description: 'Mailbox id, or a role such as `inbox`' }) });
