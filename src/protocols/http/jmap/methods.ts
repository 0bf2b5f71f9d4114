import { registerBlobMethods } from '../../jmap/blob/index.ts';
import { createRegistry } from '../../jmap/core/registry.ts';
import { registerIdentityMethods } from '../../jmap/identity/index.ts';
import { registerMailMethods } from '../../jmap/mail/index.ts';
import { registerPushMethods } from '../../jmap/push/index.ts';
import { registerQuotaMethods } from '../../jmap/quota/index.ts';
import { registerSubmissionMethods } from '../../jmap/submission/index.ts';
import type { MethodRegistry } from '../../jmap/types.ts';
import { registerVacationMethods } from '../../jmap/vacation/index.ts';

/** Every capability's methods this server serves; a new capability adds its module here. */
export function defaultRegistry(): MethodRegistry {
  return createRegistry(registerMailMethods, registerQuotaMethods, registerBlobMethods, registerIdentityMethods, registerSubmissionMethods, registerPushMethods, registerVacationMethods);
}
