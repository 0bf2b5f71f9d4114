import { Type } from '@sinclair/typebox';
import { invalid } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, Page, PageQuery, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Text = (description: string) => Type.Optional(Type.String({ maxLength: 1000, description }));
const DateTime = (description: string) => Type.Optional(Type.String({ maxLength: 40, description }));

function parseDate(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(field, 'must be a date (YYYY-MM-DD) or RFC 3339 date-time');
  return ms;
}

export function searchRoutes(app: App, { services, auth }: RouteDeps): void {
  app.get(
    '/users/:user/search',
    {
      ...needs('mail-read'),
      schema: {
        tags: ['messages'],
        summary: 'Search messages: words (full-text index), fields, dates and flags, newest first',
        params: Type.Object({ user: UserParam }),
        querystring: Type.Object(
          {
            ...PageQuery,
            q: Text('Words that must all appear anywhere (subject, addresses, body, attachment names)'),
            from: Text('Words in From/Sender, next to each other in this order'),
            to: Text('Words in To/Cc/Bcc, next to each other in this order'),
            subject: Text('Words in the subject, next to each other in this order'),
            mailbox: Type.Optional(Type.String({ maxLength: 64, description: 'Mailbox id or role' })),
            after: DateTime('Received at or after'),
            before: DateTime('Received before'),
            unseen: Type.Optional(Type.Boolean()),
            flagged: Type.Optional(Type.Boolean()),
            hasAttachment: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Type.Ref('MessageSummary'), 'A page of matching messages'), ...errors(400, 401, 404) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      const q = req.query;
      return services.messages.search(accountId, {
        limit: q.limit,
        cursor: q.cursor,
        text: q.q,
        from: q.from,
        recipients: q.to,
        subject: q.subject,
        mailboxId: q.mailbox ? await services.mailboxes.resolve(accountId, q.mailbox) : undefined,
        after: parseDate(q.after, 'after'),
        before: parseDate(q.before, 'before'),
        unseen: q.unseen,
        flagged: q.flagged,
        hasAttachment: q.hasAttachment,
      });
    },
  );
}
