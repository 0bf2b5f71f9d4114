import { createHash, randomBytes } from 'node:crypto';

/** How codes and tokens are kept: only their sha256, so a database dump replays nothing. */
export const tokenHash = (value: string): string => createHash('sha256').update(value).digest('hex');

/** A fresh unguessable code or token: 256 random bits, base64url. */
export const randomToken = (prefix = ''): string => prefix + randomBytes(32).toString('base64url');
