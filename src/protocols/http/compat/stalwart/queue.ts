import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../../../services/errors.ts';
import type { QueuedMessageView, QueuedRecipientView } from '../../../../services/outbound/admin.ts';
import type { App, RouteDeps } from '../../app.ts';
import { needs } from '../../route-permission.ts';

// Stalwart's recipient states. Cancelled recipients are not shown: Stalwart drops them at once.
const STATUS: Record<QueuedRecipientView['status'], string> = { pending: 'scheduled', deferred: 'temp_fail', delivered: 'completed', failed: 'perm_fail', cancelled: 'perm_fail' };
const DOMAIN_URGENCY = ['temp_fail', 'scheduled', 'perm_fail', 'completed'];

// Stalwart writes whole seconds.
const stamp = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** A queued message as Stalwart shows it: retry state per recipient domain. */
function messageView(m: QueuedMessageView) {
  const live = m.recipients.filter((r) => r.status !== 'cancelled');
  const domains = [...new Set(live.map((r) => r.domain))].map((name) => {
    const rs = live.filter((r) => r.domain === name);
    const statuses = rs.map((r) => STATUS[r.status]);
    const next = rs.map((r) => r.nextAttemptAt).filter((t) => t !== null).sort()[0];
    return {
      name,
      status: DOMAIN_URGENCY.find((s) => statuses.includes(s)) ?? 'completed',
      recipients: rs.map((r) => ({ address: r.address, status: STATUS[r.status], response: r.lastResponse })),
      retry_num: Math.max(...rs.map((r) => r.attempts)),
      next_retry: next === undefined ? null : stamp(next),
      // No delay notice is sent before expiry (yet), so there is nothing to announce.
      next_notify: null,
      expires: stamp(m.expiresAt),
    };
  });
  return { id: m.id, return_path: m.from, domains, created: stamp(m.createdAt), size: m.size, blob_hash: m.blobId };
}

const Params = Type.Object({ message_id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Stalwart answers `data: false` where Gannet says there was nothing left to change. */
async function done(op: Promise<unknown>): Promise<{ data: boolean }> {
  try {
    await op;
    return { data: true };
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'conflict') return { data: false };
    throw err;
  }
}

/** The seed's /queue routes over the one queue admin service. */
export function queueRoutes(app: App, { services }: RouteDeps): void {
  const queue = services.queueAdmin;

  app.get(
    '/queue/messages',
    {
      ...needs('message-queue-list'),
      schema: {
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
          'max-total': Type.Optional(Type.Integer({ minimum: 0 })),
          values: Type.Optional(Type.Integer({ minimum: 0, maximum: 1, description: '1: whole messages instead of ids' })),
        }),
      },
    },
    async (req) => {
      const { page = 1, limit = 50, values } = req.query;
      const max = req.query['max-total'];
      const [result, state] = await Promise.all([queue.list({}, { limit, offset: (page - 1) * limit }), queue.state()]);
      return {
        data: {
          items: result.results.map((m) => (values ? messageView(m) : m.id)),
          total: max ? Math.min(result.total, max) : result.total,
          status: state.running,
        },
      };
    },
  );

  // Bulk, without an id: every message whose reverse path or a recipient contains the text (all
  // without one). The seed names the parameter `filter` on PATCH and `text` on DELETE.
  const Text = Type.String({ minLength: 1, maxLength: 320, description: 'Part of the reverse path or of a recipient address' });
  app.patch('/queue/messages', { ...needs('message-queue-update'), schema: { querystring: Type.Object({ filter: Type.Optional(Text) }) } }, async (req) => ({
    data: (await queue.rescheduleMatching({ text: req.query.filter })) > 0,
  }));
  app.delete('/queue/messages', { ...needs('message-queue-delete'), schema: { querystring: Type.Object({ text: Type.Optional(Text) }) } }, async (req) => ({
    data: (await queue.cancelMatching({ text: req.query.text })) > 0,
  }));

  app.get('/queue/messages/:message_id', { ...needs('message-queue-get'), schema: { params: Params } }, async (req) => ({ data: messageView(await queue.get(req.params.message_id)) }));

  app.patch(
    '/queue/messages/:message_id',
    { ...needs('message-queue-update'), schema: { params: Params, querystring: Type.Object({ filter: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Only this recipient domain' })) }) } },
    async (req) => done(queue.reschedule(req.params.message_id, { domain: req.query.filter })),
  );

  app.delete(
    '/queue/messages/:message_id',
    { ...needs('message-queue-delete'), schema: { params: Params, querystring: Type.Object({ filter: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'Only this recipient' })) }) } },
    async (req) => done(queue.cancel(req.params.message_id, req.query.filter === undefined ? {} : { recipients: [req.query.filter] })),
  );

  app.get('/queue/status', needs('message-queue-list'), async () => ({ data: (await queue.state()).running }));
  // The answer is whether the queue ran before the switch, as Stalwart's is.
  app.patch('/queue/status/stop', needs('queue-control'), async () => ({ data: queue.setRunning(false) }));
  app.patch('/queue/status/start', needs('queue-control'), async () => ({ data: queue.setRunning(true) }));
}
