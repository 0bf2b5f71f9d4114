import { ServiceError } from '../../errors.ts';

export interface UpstreamAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

const isTimeout = (err: unknown) => err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError');

/** Why a request never got an answer, in words an administrator can act on. */
function unreachable(url: string, err: unknown, timeoutMs: number): ServiceError {
  if (isTimeout(err)) return new ServiceError('unavailable', `the upstream JMAP server at ${new URL(url).origin} did not answer within ${timeoutMs / 1000} s`);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return new ServiceError('unavailable', `cannot reach the upstream JMAP server at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
}

/**
 * One request whose whole answer is read into memory (JSON): the timeout covers the body too,
 * and an answer over maxBytes is refused rather than buffered. Redirects are the caller's.
 */
export async function fetchWhole(url: string, init: RequestInit, timeoutMs: number, maxBytes: number): Promise<UpstreamAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal });
    return { status: res.status, headers: res.headers, body: await readAtMost(res, maxBytes) };
  } catch (err) {
    throw err instanceof ServiceError ? err : unreachable(url, err, timeoutMs);
  }
}

/** The body of an answer, refused past maxBytes rather than buffered. */
export async function readAtMost(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ServiceError('upstream', `the upstream JMAP server's answer is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One request whose answer is streamed on: the timeout covers only the wait for its headers. */
export async function fetchStreaming(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
  } catch (err) {
    throw unreachable(url, controller.signal.aborted ? controller.signal.reason : err, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON of an answer; `what` names it in the error when it is not JSON. */
export function parseAnswer(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('upstream', `${what} is not JSON`);
  }
}

/** The `detail` (or `title`, or start of the text) of an error answer, for the message naming it. */
export function upstreamDetail(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const v = JSON.parse(text) as { detail?: unknown; title?: unknown; type?: unknown; description?: unknown };
    const said = [v.type, v.detail ?? v.description ?? v.title].filter((x) => typeof x === 'string' && x);
    if (said.length) return said.join(': ');
  } catch {
    // Not JSON: the text itself says what went wrong, if anything does.
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
