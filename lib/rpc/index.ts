export { statusFor, STATUS_BY_ERROR_CODE, INTERNAL_DETAILS, type RpcStatus } from './status-for.js';
export { unaryHandler, toServiceError, type AsyncUnary, type HandlerErrorObserver } from './unary-handler.js';
export {
  createServer,
  bindServer,
  shutdownServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  JOIN_MAX_MESSAGE_BYTES,
  JOIN_BACKSTOP_MESSAGE_BYTES,
  type ServerOptions,
} from './create-server.js';
export {
  withMessageLimits,
  observeOversized,
  assertWithinLimit,
  MessageTooLargeError,
  OversizedRequest,
  MESSAGE_TOO_LARGE,
  type MessageLimits,
} from './message-limits.js';
export { authorizationTable, type Authorizer } from './authorization.js';
export { retryWithBackoff, type RetryOptions } from './retry.js';
