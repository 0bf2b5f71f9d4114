import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../app.ts';
import { needs } from '../../route-permission.ts';

/** The seed's answer when the caller is the admin token, which has no account of its own. */
const FALLBACK_ADMIN = { error: 'other', details: 'Fallback administrator accounts do not support 2FA or AppPasswords', reason: null };

const Item = Type.Object({
  type: Type.Union([Type.Literal('addAppPassword'), Type.Literal('removeAppPassword')]),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'SHA-512-crypt ($6$) hash of the app password the client generated' })),
});

/**
 * The seed's GET|POST /account/auth: the calling user's own app passwords and whether 2FA is
 * on. Stalwart's client generates an app password and sends only its crypt hash under a name;
 * Gannet keeps that hash as the password (valid on every protocol) and the name as its
 * description. These routes are the caller's, so they take a user's credentials, not the admin token.
 */
export function accountRoutes(app: App, { services, auth }: RouteDeps): void {
  app.get('/account/auth', { ...needs('manage-app-passwords') }, async (req) => {
    const caller = await auth.authenticate(req);
    // Neither the admin token nor an API key is an account with passwords of its own.
    if (caller.kind !== 'user') return FALLBACK_ADMIN;
    const [otpEnabled, asps] = await Promise.all([services.credentials.totpEnabled(caller.principal), services.credentials.listAppPasswords(caller.principal)]);
    return { data: { otpEnabled, appPasswords: asps.map((a) => a.description) } };
  });

  app.post('/account/auth', { ...needs('manage-app-passwords'), schema: { body: Type.Array(Item, { maxItems: 100 }) } }, async (req, reply) => {
    const caller = await auth.authenticate(req);
    if (caller.kind !== 'user') return FALLBACK_ADMIN;
    for (const item of req.body) {
      if (!item.name) return reply.code(400).send({ error: 'other', details: `${item.type} needs a name`, reason: null });
      if (item.type === 'addAppPassword') {
        if (!item.password) return reply.code(400).send({ error: 'other', details: 'addAppPassword needs a password hash', reason: null });
        await services.credentials.addHashedAppPassword(caller.principal, item.name, item.password, req.ip);
      } else await services.credentials.removeAppPasswordsNamed(caller.principal, item.name, req.ip);
    }
    auth.forget();
    return { data: null };
  });
}
