export { IdentityService, readIdentityInput, type EmailAddress, type IdentityInput, type IdentityOwner, type IdentityView } from './identities.ts';
