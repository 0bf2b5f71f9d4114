import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { ChangeEvent } from '../../../store/bus.ts';
import { invalid } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';
import { OpenStreams } from '../open-streams.ts';

// A client that stops reading is dropped rather than buffered without bound; it resumes with Last-Event-ID.
const MAX_BUFFERED_BYTES = 1024 * 1024;

export function updateRoutes(app: App, { services, auth }: RouteDeps): void {
  const open = new OpenStreams<ServerResponse>(app, (res) => res.end());

  app.get(
    '/users/:user/updates',
    {
      ...needs('mail-read'),
      schema: {
        tags: ['updates'],
        summary: 'Server-Sent Events of every change in the account, resumable with Last-Event-ID',
        description:
          'Each `change` event has `id` = the account modseq and data `{modseq, changes:[{type,id,op}]}` (op c/u/d). ' +
          'Reconnect with `Last-Event-ID` (or `?since=`) to receive what was missed; if the change log no longer reaches back that far a `reset` event says to reload.',
        params: Type.Object({ user: UserParam }),
        querystring: Type.Object(
          {
            since: Type.Optional(Type.Integer({ minimum: 0, description: 'Resume after this modseq (like Last-Event-ID)' })),
            ping: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, default: 25, description: 'Seconds between keep-alive comments' })),
          },
          { additionalProperties: false },
        ),
        produces: ['text/event-stream'],
        response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: Type.String() } } }, ...errors(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      const header = req.headers['last-event-id'];
      let resumeFrom: number | undefined = req.query.since;
      if (typeof header === 'string' && header.trim() !== '') {
        if (!/^\d{1,15}$/.test(header.trim())) throw invalid('Last-Event-ID', 'must be a modseq this stream sent');
        resumeFrom = Number(header.trim());
      }
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      if (!open.add(raw)) return;
      raw.on('close', () => open.delete(raw));

      let sent = resumeFrom ?? (await services.changes.current(accountId));
      let catchingUp = true;
      const pending: ChangeEvent[] = [];
      const write = (chunk: string) => {
        raw.write(chunk);
        if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
      };
      const send = (ev: ChangeEvent) => {
        if (ev.modseq <= sent) return;
        write(`id: ${ev.modseq}\nevent: change\ndata: ${JSON.stringify({ modseq: ev.modseq, changes: ev.changes })}\n\n`);
        sent = ev.modseq;
      };
      // Subscribe before catching up, so nothing committed in between is missed.
      const unsubscribe = services.changes.subscribe(accountId, (ev) => (catchingUp ? pending.push(ev) : send(ev)));
      const ping = setInterval(() => write(': ping\n\n'), (req.query.ping ?? 25) * 1000);
      raw.on('close', () => {
        unsubscribe();
        clearInterval(ping);
      });

      write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ modseq: sent })}\n\n`);
      try {
        if (resumeFrom !== undefined) {
          for (;;) {
            const batch = await services.changes.since(accountId, sent);
            if (batch.truncated) {
              write(`id: ${batch.modseq}\nevent: reset\ndata: ${JSON.stringify({ modseq: batch.modseq })}\n\n`);
              sent = batch.modseq;
              break;
            }
            if (batch.events.length === 0) break;
            batch.events.forEach(send);
          }
        }
        pending.forEach(send);
      } catch (err) {
        req.log.warn({ err }, 'update stream catch-up failed');
        raw.destroy();
      } finally {
        catchingUp = false;
      }
    },
  );
}
