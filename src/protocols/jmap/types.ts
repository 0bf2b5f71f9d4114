import type { Principal } from '../../services/directory/directory.ts';
import type { Services } from '../../services/index.ts';

/**
 * The contract between the JMAP core engine (request processing, RFC 8620 §3) and the method
 * handlers of each capability (mail, blob, quota…). Handlers never see HTTP.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Args = Record<string, unknown>;

export const CORE = 'urn:ietf:params:jmap:core';
export const MAIL = 'urn:ietf:params:jmap:mail';

/** A method-level error (RFC 8620 §3.6.2): its `type` and extra properties go into the ["error", …] response. */
export class MethodError extends Error {
  constructor(
    readonly type: string,
    description?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description ?? type);
    this.name = 'MethodError';
  }
}

/** Per-request state handlers share (RFC 8620 §3.3, §5.3 creation ids). */
export interface MethodContext {
  principal: Principal;
  services: Services;
  /** Capabilities the request declared in `using`. */
  using: ReadonlySet<string>;
  /** creation id (without '#') → server id, filled by /set and /import create, read by later calls. */
  createdIds: Map<string, string>;
  /** Account ids this principal may use; a handler checks args.accountId against it. */
  accountIds: ReadonlySet<string>;
}

/**
 * A handler returns the response arguments for its method name, or several responses (e.g.
 * Email/copy with onSuccessDestroyOriginal adds an implicit Email/set) as [name, args] pairs.
 */
export type MethodHandler = (args: Args, ctx: MethodContext) => Promise<Args | [string, Args][]>;

export interface MethodDefinition {
  /** The capability a request must declare in `using` to call this method. */
  capability: string;
  handler: MethodHandler;
}

export type MethodRegistry = Map<string, MethodDefinition>;
