export { PushService, MAX_LIFETIME_MS, type PushOwner, type PushView } from './push.ts';
export { readPushInput, type PushInput } from './validate.ts';
export { checkPushUrl, isLoopbackHost } from './url.ts';
export type { PushSender } from './sender.ts';
