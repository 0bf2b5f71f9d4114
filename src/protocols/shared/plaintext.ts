import type { Config } from '../../config/schema.ts';

/**
 * Whether a password may be taken on this connection (IMAP LOGIN, SMTP AUTH): always over
 * TLS; before TLS only as `plaintextAuth` allows, `loopback` meaning local tools and tests.
 */
export function plaintextAllowed(mode: Config['plaintextAuth'], secure: boolean, remoteAddress: string): boolean {
  if (secure || mode === 'always') return true;
  return mode === 'loopback' && /^(127\.|::1$|::ffff:127\.)/.test(remoteAddress);
}
