export { identityChanges, identityGet, identitySet, registerIdentityMethods } from './identity.ts';
