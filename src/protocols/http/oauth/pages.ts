import type { FastifyReply } from 'fastify';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attribute values. */
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]);

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your user name',
  email: 'See your email address',
  offline_access: 'Stay signed in when you are away',
  imap: 'Read and change your mail over IMAP',
  pop3: 'Download your mail over POP3',
  smtp: 'Send mail as you',
  jmap: 'Read, change and send your mail over JMAP',
  api: 'Use the Gannet API as you',
};

export const scopeList = (scope: string): string =>
  `<ul>${scope
    .split(' ')
    .filter(Boolean)
    .map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)}</li>`)
    .join('')}</ul>`;

export const hidden = (fields: Record<string, string | undefined>): string =>
  Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`)
    .join('');

export const credentialFields = (username = ''): string =>
  `<label>User name or address <input name="username" value="${esc(username)}" autocomplete="username" required maxlength="320"></label>` +
  '<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="1024"></label>' +
  '<label>Two-factor code, if you use one <input name="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="64"></label>';

export const decisionButtons = (approve: string): string =>
  `<div class="buttons"><button name="decision" value="approve">${esc(approve)}</button><button name="decision" value="deny" formnovalidate class="secondary">Deny</button></div>`;

export const notice = (text: string | undefined): string => (text ? `<p class="error" role="alert">${esc(text)}</p>` : '');

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;padding:2rem}main{max-width:26rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}' +
  'label{display:block;margin:.8rem 0}input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.2rem}.buttons{display:flex;gap:.5rem;margin-top:1rem}' +
  'button{padding:.5rem 1rem}.secondary{background:#eee}.error{color:#a00}code{font-size:1.2rem}';

/**
 * Sends a page of the provider. Markup is built only from escaped values; the policy forbids
 * scripts and framing (clickjacking the consent button), and nothing is cached or leaked as a
 * referrer. No form-action limit: after the POST the browser must follow the redirect to the client.
 */
export function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${esc(title)}</title><style>${STYLE}</style></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
    );
}
