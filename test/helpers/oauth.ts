import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { TestServer } from './server.ts';

export const REDIRECT = 'http://127.0.0.1:9/callback';

export interface Client {
  id: string;
  secret: string | null;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export async function registerClient(server: TestServer, type: 'public' | 'confidential', scopes?: string[]): Promise<Client> {
  const res = await server.api('/api/v1/oauth/clients', { method: 'POST', json: { name: `Test ${type} app <b>`, type, redirectUris: [REDIRECT], ...(scopes ? { scopes } : {}) } });
  assert.equal(res.status, 201, await res.clone().text());
  const body = (await res.json()) as { client: { id: string }; secret: string | null };
  return { id: body.client.id, secret: body.secret };
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A page's form as a browser would submit it: its hidden fields, and the cookie the page set. */
export async function readForm(res: Response): Promise<{ html: string; fields: Record<string, string>; cookie: string }> {
  const html = await res.text();
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescape(m[1])] = unescape(m[2]);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  return { html, fields, cookie };
}

/** client_secret_basic (RFC 6749 §2.3.1) for a confidential client; nothing for a public one. */
export const basicOf = (client: Client): Record<string, string> =>
  client.secret ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` } : {};

export const postForm = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });

/**
 * The browser's part of the authorization-code flow: open the authorization URL, fill in the
 * consent page, and return where the server redirects to.
 */
export async function authorize(
  server: TestServer,
  client: Client,
  opts: { username: string; password: string; totp?: string; challenge?: string; scope?: string; decision?: 'approve' | 'deny'; nonce?: string; state?: string },
): Promise<URL> {
  const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, state: opts.state ?? 'st-42' });
  if (opts.scope) query.set('scope', opts.scope);
  if (opts.nonce) query.set('nonce', opts.nonce);
  if (opts.challenge) {
    query.set('code_challenge', opts.challenge);
    query.set('code_challenge_method', 'S256');
  }
  const page = await fetch(`${server.baseUrl}/oauth/authorize?${query}`, { redirect: 'manual' });
  assert.equal(page.status, 200, 'the consent page');
  const { fields, cookie } = await readForm(page);
  const res = await postForm(`${server.baseUrl}/oauth/authorize`, { ...fields, username: opts.username, password: opts.password, totp: opts.totp ?? '', decision: opts.decision ?? 'approve' }, { cookie });
  assert.equal(res.status, 302, `redirect back to the client, got ${res.status}: ${await res.clone().text()}`);
  return new URL(res.headers.get('location')!);
}

export async function token(server: TestServer, client: Client, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postForm(`${server.baseUrl}/oauth/token`, client.secret ? form : { ...form, client_id: client.id }, basicOf(client));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Code + PKCE from start to tokens. */
export async function signIn(server: TestServer, client: Client, user: { username: string; password: string }, scope?: string): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const back = await authorize(server, client, { ...user, challenge, scope });
  const code = back.searchParams.get('code');
  assert.ok(code, `a code in ${back}`);
  const got = await token(server, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  return got.body as unknown as Tokens;
}

/** A line-oriented plain TCP client for SASL exchanges the libraries do not drive. */
export class LineClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(port: number): Promise<LineClient> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    return new LineClient(sock);
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const out = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return out;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Lines until one matches. */
  async until(re: RegExp): Promise<string> {
    for (;;) {
      const l = await this.line();
      if (re.test(l)) return l;
    }
  }

  send(text: string): void {
    this.sock.write(text + '\r\n');
  }

  close(): void {
    this.sock.destroy();
  }
}
