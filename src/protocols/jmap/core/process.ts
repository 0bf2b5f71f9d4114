import { MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';
import { errorObject, methodErrorFor } from './errors.ts';
import { Forwarder, type Upstream } from './forward.ts';
import type { JmapLimits } from './limits.ts';
import { methodPermission } from './method-permission.ts';
import { limitProblem, requestProblem, type RequestProblem } from './problems.ts';
import { resolveReferences } from './references.ts';
import { capabilitiesOf, echoMethod } from './registry.ts';
import { parseJson, parseRequest, type Invocation } from './request.ts';

/** The Response object (RFC 8620 §3.4). */
export interface JmapResponse {
  methodResponses: Invocation[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

export type ProcessResult = { ok: true; status: 200; body: JmapResponse } | { ok: false; status: number; body: RequestProblem };

/** Any pino-like logger; failures of handlers are logged here, never sent to the client. */
export interface RequestLogger {
  error(obj: object, msg: string): void;
}

export interface ProcessOptions {
  /** Read after the last method ran, so it reflects what the methods did. */
  sessionState: () => string | Promise<string>;
  log: RequestLogger;
  /** The pool's proxied JMAP accounts, whose calls are forwarded to their servers. */
  upstream?: Upstream;
}

const problem = (p: RequestProblem): ProcessResult => ({ ok: false, status: p.status, body: p });

/**
 * Runs one API request (RFC 8620 §3). `body` is the raw request body (bytes or text, parsed here
 * so notJSON and maxSizeRequest are decided in one place) or an already parsed value.
 */
export async function processRequest(
  body: unknown,
  base: Omit<MethodContext, 'createdIds' | 'using'>,
  registry: MethodRegistry,
  limits: Pick<JmapLimits, 'maxSizeRequest' | 'maxCallsInRequest'>,
  opts: ProcessOptions,
): Promise<ProcessResult> {
  let value = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (size > limits.maxSizeRequest) return problem(limitProblem('maxSizeRequest', `the request is ${size} bytes; the limit is ${limits.maxSizeRequest}`));
    const parsed = parseJson(body);
    if (!parsed.ok) return problem(parsed.problem);
    value = parsed.value;
  }
  const parsed = parseRequest(value);
  if (!parsed.ok) return problem(parsed.problem);
  const request = parsed.value;

  if (request.methodCalls.length > limits.maxCallsInRequest) {
    return problem(limitProblem('maxCallsInRequest', `the request makes ${request.methodCalls.length} method calls; the limit is ${limits.maxCallsInRequest}`));
  }
  const known = new Set(capabilitiesOf(registry));
  const unknown = request.using.filter((u) => !known.has(u));
  if (unknown.length > 0) {
    return problem(requestProblem('unknownCapability', `the request uses ${unknown.map((u) => `"${u}"`).join(', ')}, which this server does not support`));
  }

  const ctx: MethodContext = {
    ...base,
    using: new Set(request.using),
    createdIds: new Map(Object.entries(request.createdIds ?? {})),
  };
  const responses: Invocation[] = [];
  const forwarder = opts.upstream && new Forwarder(opts.upstream, ctx, request.using, responses, opts.log);
  for (const call of request.methodCalls) {
    const needed = methodPermission(call[0]);
    if (needed && !ctx.principal.permissions.has(needed)) {
      // Forwarded calls queued before it answer first, so responses stay in call order.
      await forwarder?.flush();
      responses.push(['error', errorObject(new MethodError('forbidden', `${call[0]} needs the ${needed} permission`)), call[2]]);
      continue;
    }
    if (forwarder) {
      if (await forwarder.take(call)) continue;
      await forwarder.flush();
    }
    const [name, args, callId] = call;
    for (const [resName, resArgs] of await invoke(name, args, callId, responses, ctx, registry, opts.log)) responses.push([resName, resArgs, callId]);
  }
  await forwarder?.flush();
  return {
    ok: true,
    status: 200,
    body: {
      methodResponses: responses,
      ...(request.createdIds !== undefined ? { createdIds: Object.fromEntries(ctx.createdIds) } : {}),
      sessionState: await opts.sessionState(),
    },
  };
}

async function invoke(
  name: string,
  args: Args,
  callId: string,
  responses: readonly Invocation[],
  ctx: MethodContext,
  registry: MethodRegistry,
  log: RequestLogger,
): Promise<[string, Args][]> {
  const method = registry.get(name) ?? (name === 'Core/echo' ? echoMethod : undefined);
  // RFC 8620 §3.3: a method of a capability the request did not declare is unknown to it.
  if (!method || !ctx.using.has(method.capability)) return [['error', { type: 'unknownMethod', description: `unknown method ${name}` }]];
  try {
    const result = await method.handler(resolveReferences(args, responses), ctx);
    return Array.isArray(result) ? result : [[name, result]];
  } catch (err) {
    const known = methodErrorFor(err);
    if (known) return [['error', errorObject(known)]];
    log.error({ err, method: name, callId }, 'JMAP method failed');
    return [['error', errorObject(new MethodError('serverFail', `${name} failed on the server; the error has been logged`))]];
  }
}
