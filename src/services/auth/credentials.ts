import type { Principal } from '../directory/directory.ts';
import { ServiceError } from '../errors.ts';
import type { AppPasswordView } from './app-passwords.ts';
import type { AuthService } from './authenticate.ts';
import type { TotpSetup } from './totp.ts';

/**
 * What a user does with their own credentials: app passwords and the TOTP second factor.
 * Every change is written with its auth log entry in one transaction.
 */
export class CredentialService {
  constructor(private readonly auth: AuthService) {}

  listAppPasswords(principal: Principal): Promise<AppPasswordView[]> {
    return this.auth.asps.list(principal.id);
  }

  createAppPassword(principal: Principal, input: { description: string; scopes: readonly string[] }, ip: string): Promise<{ id: string; password: string }> {
    return this.auth.change(principal, 'create asp', ip, (trx) => this.auth.asps.create(trx, principal.id, input.description, input.scopes), (v) => v.id);
  }

  async deleteAppPassword(principal: Principal, id: string, ip: string): Promise<void> {
    await this.auth.change(principal, 'delete asp', ip, (trx) => this.auth.asps.delete(trx, principal.id, id), () => id);
  }

  /** An app password the client generated and sends only as a SHA-512-crypt hash; valid on every protocol. */
  addHashedAppPassword(principal: Principal, description: string, hash: string, ip: string): Promise<string> {
    return this.auth.change(principal, 'create asp', ip, (trx) => this.auth.asps.createFromCrypt(trx, principal.id, description, ['*'], hash), (id) => id);
  }

  async removeAppPasswordsNamed(principal: Principal, description: string, ip: string): Promise<void> {
    await this.auth.change(principal, 'delete asp', ip, async (trx) => {
      if ((await this.auth.asps.deleteByDescription(trx, principal.id, description)) === 0) throw new ServiceError('notFound', `no application password named ${description}`);
    });
  }

  async totpEnabled(principal: Principal): Promise<boolean> {
    return this.auth.totp.enabled(principal.id);
  }

  setupTotp(principal: Principal, issuer?: string): Promise<TotpSetup> {
    return this.auth.totp.setup(principal.id, principal.username, issuer);
  }

  /** Enables the pending secret with a code from it; the recovery codes are returned this once. */
  async enableTotp(principal: Principal, token: string, ip: string): Promise<string[]> {
    const result = await this.auth.change(principal, 'enable 2fa', ip, (trx) => this.auth.totp.enable(trx, principal.id, token));
    if (result === 'invalid') throw new ServiceError('forbidden', 'the TOTP code is not valid for this secret (check the device clock)');
    if (result === 'notEnabled') throw new ServiceError('conflict', 'two-factor authentication is not set up');
    return result;
  }

  checkTotp(principal: Principal, token: string, ip: string): Promise<'totp' | 'recovery'> {
    return this.auth.checkSecondFactor(principal, token, ip);
  }

  async disableTotp(principal: Principal, ip: string): Promise<void> {
    await this.auth.change(principal, 'disable 2fa', ip, (trx) => this.auth.totp.disable(trx, principal.id));
  }
}
