import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ServiceError } from '../../../services/errors.ts';
import type { CapabilityEnv } from '../../jmap/core/capabilities.ts';
import { upstreamOf } from '../../jmap/core/forward.ts';
import { processRequest } from '../../jmap/core/process.ts';
import { sessionState } from '../../jmap/core/session.ts';
import { dataTypesOf } from '../../jmap/core/registry.ts';
import type { MethodRegistry } from '../../jmap/types.ts';
import type { App, RouteDeps } from '../app.ts';
import { poolIds, principalOf, requireUser } from './principal.ts';
import { openStateStream } from './state-stream.ts';
import { needs } from '../route-permission.ts';
import { OpenStreams } from '../open-streams.ts';

export const WEBSOCKET = 'urn:ietf:params:jmap:websocket';
export const WEBSOCKET_PATH = '/jmap/ws';

// A client that stops reading is dropped rather than buffered for without bound.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * JMAP over WebSocket (RFC 8887): Request → Response / RequestError on the `jmap` subprotocol,
 * and push of StateChange objects after WebSocketPushEnable.
 */
export async function websocketRoutes(app: App, deps: RouteDeps, registry: MethodRegistry, env: CapabilityEnv): Promise<void> {
  const { auth, services } = deps;
  const open = new OpenStreams<WebSocket>(app, (socket) => socket.close(1001, 'server shutting down'));
  await app.register(websocket, {
    options: {
      maxPayload: env.limits.maxSizeRequest,
      // RFC 8887 §4.2: the subprotocol is "jmap"; without it there is no agreement on the framing.
      handleProtocols: (protocols) => (protocols.has('jmap') ? 'jmap' : false),
    },
  });
  const checkUpgrade = async (req: FastifyRequest) => {
    await requireUser(auth)(req);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes('jmap')) throw new ServiceError('invalid', 'a JMAP WebSocket needs the "jmap" subprotocol (RFC 8887 §4.2)');
  };

  app.get(WEBSOCKET_PATH, { ...needs('jmap-authenticate'), websocket: true, schema: { hide: true }, onRequest: checkUpgrade }, (socket, req) => {
    const principal = principalOf(req);
    if (!open.add(socket)) return;
    let stopPush: (() => void) | null = null;
    const send = (value: unknown) => {
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return socket.terminate();
      socket.send(JSON.stringify(value));
    };
    const requestError = (type: string, detail: string, requestId?: string) =>
      send({ '@type': 'RequestError', ...(requestId ? { requestId } : {}), type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail });
    // The event source's stream over the whole pool; its positions serve as pushState (RFC 8887 §4.3.5).
    const enablePush = (dataTypes: unknown, pushState: unknown) => {
      const types = Array.isArray(dataTypes) ? new Set(dataTypes.filter((t): t is string => typeof t === 'string')) : '*';
      const starting = openStateStream(
        services.changes,
        { state: (change, position) => send({ ...change, pushState: position }), ping: () => {}, end: () => {} },
        {
          accountIds: poolIds(principal),
          types,
          closeAfterState: false,
          ping: 0,
          resumeFrom: typeof pushState === 'string' ? pushState : null,
          allTypes: dataTypesOf(registry),
          external: (emit) => services.jmapProxy.watch(principal, emit),
        },
      );
      starting.catch((err) => req.log.warn({ err }, 'JMAP WebSocket push failed to start'));
      // Stoppable at once, even while it is still catching up.
      return () => void starting.then((stop) => stop(), () => {});
    };

    socket.on('message', async (data: Buffer, isBinary: boolean) => {
      let msg: Record<string, unknown>;
      try {
        if (isBinary) throw new Error('binary frames are not JMAP');
        msg = JSON.parse(data.toString('utf8'));
        if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('not an object');
      } catch {
        return requestError('notJSON', 'each message must be a JSON object in a text frame');
      }
      const requestId = typeof msg.id === 'string' ? msg.id : undefined;
      switch (msg['@type']) {
        case 'Request': {
          const { '@type': _type, id: _id, ...request } = msg;
          const upstream = await upstreamOf(principal, services);
          const result = await processRequest(request, { principal, services, accountIds: new Set(poolIds(principal)) }, registry, env.limits, {
            sessionState: () => sessionState(principal, registry, env, upstream?.accounts),
            log: req.log,
            upstream,
          });
          if (result.ok) send({ '@type': 'Response', ...(requestId ? { requestId } : {}), ...(result.body as object) });
          else send({ '@type': 'RequestError', ...(requestId ? { requestId } : {}), ...(result.body as object) });
          return;
        }
        case 'WebSocketPushEnable':
          stopPush?.();
          // With a pushState the client says what it has seen: it is told at once if it missed anything.
          stopPush = enablePush(msg.dataTypes, msg.pushState);
          return;
        case 'WebSocketPushDisable':
          stopPush?.();
          stopPush = null;
          return;
        default:
          return requestError('notRequest', 'expected @type Request, WebSocketPushEnable or WebSocketPushDisable', requestId);
      }
    });
    socket.on('close', () => {
      open.delete(socket);
      stopPush?.();
    });
  });
}

/** The session's websocket capability: its URL follows the base URL the client used. */
export function websocketCapability(baseUrl: string) {
  return { url: baseUrl.replace(/^http/, 'ws') + WEBSOCKET_PATH, supportsPush: true };
}
