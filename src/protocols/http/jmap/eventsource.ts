import type { ServerResponse } from 'node:http';
import type { MethodRegistry } from '../../jmap/types.ts';
import { dataTypesOf } from '../../jmap/core/registry.ts';
import type { App, RouteDeps } from '../app.ts';
import { parseEventSourceParams } from './eventsource-params.ts';
import { poolIds, principalOf, requireUser } from './principal.ts';
import { openStateStream, sseSink } from './state-stream.ts';
import { needs } from '../route-permission.ts';
import { OpenStreams } from '../open-streams.ts';

// A client that stops reading is dropped rather than buffered without bound; it resumes with Last-Event-ID.
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** GET /eventsource (RFC 8620 §7.3). */
export function eventSourceRoutes(app: App, { auth, services }: RouteDeps, registry: MethodRegistry): void {
  const open = new OpenStreams<ServerResponse>(app, (res) => res.end());

  app.get('/eventsource', { ...needs('jmap-authenticate'), schema: { hide: true }, onRequest: requireUser(auth) }, async (req, reply) => {
    const principal = principalOf(req);
    const params = parseEventSourceParams(req.query as Record<string, unknown>);
    const header = req.headers['last-event-id'];

    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.flushHeaders();
    if (!open.add(raw)) return;
    let stop: (() => void) | undefined;
    let closed = false;
    raw.on('close', () => {
      closed = true;
      open.delete(raw);
      stop?.();
    });
    try {
      stop = await openStateStream(
        services.changes,
        sseSink({
          write: (chunk) => {
            raw.write(chunk);
            if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
          },
          end: () => raw.end(),
        }),
        {
          ...params,
          accountIds: poolIds(principal),
          resumeFrom: typeof header === 'string' ? header : null,
          allTypes: dataTypesOf(registry),
          external: (emit) => services.jmapProxy.watch(principal, emit),
        },
      );
      if (closed) stop();
    } catch (err) {
      req.log.warn({ err }, 'JMAP event source failed to start');
      raw.destroy();
    }
  });
}
