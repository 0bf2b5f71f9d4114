import { ImapFlow } from 'imapflow';
import type { ServerSettings } from '../settings.ts';

export interface ImapLogin {
  server: ServerSettings;
  username: string;
  password: string;
  /** Certificates to trust instead of Node's roots (a private CA); unset, the roots and NODE_EXTRA_CA_CERTS. */
  ca?: string | string[];
}

/** Why an upstream connection failed, in words an administrator can act on. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'auth' | 'network' | 'protocol',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export function describeFailure(err: unknown, server: ServerSettings): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { authenticationFailed?: boolean; code?: string; responseText?: string; message?: string };
  if (e.authenticationFailed || e.code === 'AUTHENTICATIONFAILED') {
    return new UpstreamError(`login to ${server.host}:${server.port} failed: ${e.responseText || 'wrong username or password'}`, 'auth');
  }
  if (e.code && /^E[A-Z]+$/.test(e.code)) return new UpstreamError(`cannot reach ${server.host}:${server.port}: ${e.code}${e.message ? ` (${e.message})` : ''}`, 'network');
  return new UpstreamError(`${server.host}:${server.port}: ${e.responseText || e.message || String(err)}`, 'protocol');
}

/**
 * An authenticated imapflow session with CONDSTORE/QRESYNC enabled when the server has them.
 * Certificates are verified for implicit TLS and STARTTLS alike: a mirror holds the user's
 * password, so it must not hand it to whoever answers.
 */
export async function connectImap(login: ImapLogin): Promise<ImapFlow> {
  const { server } = login;
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.tls === 2,
    doSTARTTLS: server.tls === 3 ? true : server.tls === 0 ? false : undefined,
    ...(login.ca ? { tls: { ca: login.ca } } : {}),
    auth: { user: login.username, pass: login.password },
    logger: false,
    qresync: true,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
  });
  // Errors after connect also arrive as events; without a listener they would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw describeFailure(err, server);
  }
  return client;
}
