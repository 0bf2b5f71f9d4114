type Args = Record<string, unknown>;

// The arguments and response properties that name an account (RFC 8620 §5, RFC 8621); ids
// inside objects name records of that account, which keep their ids on both sides.
const ACCOUNT_KEYS = ['accountId', 'fromAccountId'] as const;

/**
 * The same arguments with `from` replaced by `to` where they name an account: Gannet's id for
 * the upstream's on the way out, and back in the responses.
 */
export function swapAccountId(args: Args, from: string, to: string): Args {
  if (!ACCOUNT_KEYS.some((k) => args[k] === from)) return args;
  const out = { ...args };
  for (const k of ACCOUNT_KEYS) if (out[k] === from) out[k] = to;
  return out;
}
