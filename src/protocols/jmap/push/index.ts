export { pushSubscriptionGet, pushSubscriptionSet, registerPushMethods } from './push-subscription.ts';
