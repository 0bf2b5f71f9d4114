import { createHash, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Trx } from '../../store/changes.ts';
import type { Store } from '../../store/store.ts';
import { conflict, ServiceError } from '../errors.ts';
import type { SecretBox } from '../secrets/box.ts';

const PERIOD = 30;
const RECOVERY_CODES = 10;
// Crockford's base32 without look-alikes: a code read off paper is typed back right.
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  qrcode: string;
}

/** Why a second factor was not accepted; each is its own problem for the check route. */
export type SecondFactorFailure = 'notEnabled' | 'invalid';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const normalizeRecovery = (code: string) => code.replace(/[\s-]+/g, '').toLowerCase();

function recoveryCode(): string {
  let out = '';
  for (let i = 0; i < 12; i++) out += RECOVERY_ALPHABET[randomInt(32)];
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8)}`;
}

/**
 * TOTP second factors (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app expects).
 * A code is accepted one step either side of now, and only once: the last accepted time step
 * is stored and moved forward by a conditional update, so two nodes cannot both accept one code.
 * Recovery codes stand in for a code, each once.
 */
export class TotpService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly defaultIssuer: string,
  ) {}

  async enabled(principalId: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('totp_secrets').select('enabled').where('principal_id', '=', principalId).executeTakeFirst();
    return row?.enabled === 1;
  }

  /** A new secret, pending until verified; a pending one is replaced, an enabled one must be disabled first. */
  async setup(principalId: string, label: string, issuer?: string): Promise<TotpSetup> {
    if (await this.enabled(principalId)) throw conflict('two-factor authentication is already enabled; disable it first');
    const secret = generateSecret();
    const now = Date.now();
    await this.store.write(async (w) => {
      await w.trx.deleteFrom('totp_secrets').where('principal_id', '=', principalId).execute();
      await w.trx
        .insertInto('totp_secrets')
        .values({ principal_id: principalId, secret_sealed: this.box.seal(secret), enabled: 0, last_step: null, recovery_json: '[]', created_at: now, enabled_at: null })
        .execute();
    });
    const otpauthUrl = generateURI({ issuer: issuer || this.defaultIssuer, label, secret });
    return { secret, otpauthUrl, qrcode: await QRCode.toDataURL(otpauthUrl) };
  }

  /** Enables a pending secret once a code from it checks; returns the recovery codes, shown this once. */
  async enable(trx: Trx, principalId: string, token: string): Promise<string[] | SecondFactorFailure> {
    const row = await trx.selectFrom('totp_secrets').selectAll().where('principal_id', '=', principalId).executeTakeFirst();
    if (!row) throw new ServiceError('notFound', 'set up two-factor authentication first (POST …/2fa/totp)');
    if (row.enabled === 1) throw conflict('two-factor authentication is already enabled');
    const step = await this.matchStep(this.box.open(row.secret_sealed), token, row.last_step);
    if (step === null) return 'invalid';
    const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
    await trx
      .updateTable('totp_secrets')
      .set({ enabled: 1, enabled_at: Date.now(), last_step: step, recovery_json: JSON.stringify(codes.map((c) => sha256(normalizeRecovery(c)))) })
      .where('principal_id', '=', principalId)
      .execute();
    return codes;
  }

  /** Accepts a TOTP code or a recovery code of an enabled second factor, and uses it up. */
  async consume(trx: Trx, principalId: string, token: string): Promise<'totp' | 'recovery' | SecondFactorFailure> {
    const row = await trx.selectFrom('totp_secrets').selectAll().where('principal_id', '=', principalId).executeTakeFirst();
    if (!row || row.enabled !== 1) return 'notEnabled';
    const code = token.trim();
    if (/^\d{6}$/.test(code)) {
      const step = await this.matchStep(this.box.open(row.secret_sealed), code, row.last_step);
      if (step === null) return 'invalid';
      const res = await trx
        .updateTable('totp_secrets')
        .set({ last_step: step })
        .where('principal_id', '=', principalId)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1 ? 'totp' : 'invalid';
    }
    const hashes = JSON.parse(row.recovery_json) as string[];
    const hash = sha256(normalizeRecovery(code));
    if (!hashes.includes(hash)) return 'invalid';
    const res = await trx
      .updateTable('totp_secrets')
      .set({ recovery_json: JSON.stringify(hashes.filter((h) => h !== hash)) })
      .where('principal_id', '=', principalId)
      .where('recovery_json', '=', row.recovery_json)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? 'recovery' : 'invalid';
  }

  async disable(trx: Trx, principalId: string): Promise<void> {
    const res = await trx.deleteFrom('totp_secrets').where('principal_id', '=', principalId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new ServiceError('notFound', 'two-factor authentication is not set up');
  }

  /** The time step the code belongs to (±1 around now), if it is later than the last one used. */
  private async matchStep(secret: string, token: string, lastStep: number | null): Promise<number | null> {
    if (!/^\d{6}$/.test(token.trim())) return null;
    const result = await verify({ secret, token: token.trim(), epochTolerance: PERIOD, ...(lastStep !== null ? { afterTimeStep: lastStep } : {}) });
    // The default strategy is TOTP, whose result carries the time step; the union type does not say so.
    return result.valid ? (result as { timeStep: number }).timeStep : null;
  }
}
