/**
 * The JMAP core engine (RFC 8620) and the helpers method handlers are written with.
 * Handlers import from here; the HTTP layer imports processRequest and the session builder.
 */
export { requireAccount, requireCopyAccounts } from './accounts.ts';
export {
  allowOnly,
  isJmapId,
  readBoolean,
  readId,
  readInt,
  readObject,
  readOptionalId,
  readOptionalInt,
  readOptionalObject,
  readOptionalString,
  readOptionalStringArray,
  readString,
  readStringArray,
  readUnsignedInt,
  type IntOptions,
} from './args.ts';
export { advertisedCapabilities, SUBMISSION, VACATION_RESPONSE, type CapabilityEnv } from './capabilities.ts';
export { errorObject, methodErrorFor, toSetError } from './errors.ts';
export { checkIds, checkSetSize, resolveCreationId } from './ids.ts';
export { jmapLimits, type JmapLimits } from './limits.ts';
export { evaluatePointer } from './pointer.ts';
export { processRequest, type JmapResponse, type ProcessOptions, type ProcessResult, type RequestLogger } from './process.ts';
export { requestProblem, type RequestProblem } from './problems.ts';
export { capabilitiesOf, createRegistry, dataTypesOf, registerCoreMethods, type MethodModule } from './registry.ts';
export { buildSession, sessionState, type JmapAccount, type Session } from './session.ts';
export { parseState, stateChange, stateString, type StateChange } from './state.ts';
export { listWindow } from './list-window.ts';
export { runSet, type SetHandlers, type SetOutcome } from './set.ts';
