// InitService.Init: the init secret first (a wrong one is refused with PERMISSION_DENIED, nothing streamed and
// nothing logged but one audit line without the secret), then the request shape, then the node lock (a second
// Init gets FAILED_PRECONDITION NODE_ALREADY_ACTIVATING). After the lock every outcome is streamed: progress,
// then exactly one success or failure {code, message}; the call ends with OK either way (the failure message is
// the answer). A failure after the lock is final for this boot: the caller resets the disk and the node reboots.
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { AuditLog } from '../../lib/log/index.js';
import { ConstellationError } from '../../lib/errors.js';
import type { InitRequest, InitResponse, InitServiceServer, InitSuccess } from '../../proto/gen/init.js';
import { checkInitSecret } from './init-secret.js';
import { validateInitRequest, type ValidInitRequest } from './init-request.js';
import { nodeAlreadyActivating, type NodeLock, type NodeLockHolder } from './node-lock.js';
import type { InitProgressSink } from './initialize-cluster.js';
import { publicFailure, toBootstrapperServiceError } from './rpc-status.js';

export interface InitServiceDeps {
  readonly initSecretHash: () => Promise<Buffer>;
  readonly lock: NodeLock;
  readonly audit: AuditLog;
  readonly initialize: (
    request: ValidInitRequest,
    lock: NodeLockHolder,
    progress: InitProgressSink,
  ) => Promise<InitSuccess>;
  /** Told once, after the success message was written. */
  readonly onInitialized: (success: InitSuccess) => void;
  /** Told once, after the failure message was written. */
  readonly onFailed: (error: unknown) => void;
}

export function initService(deps: InitServiceDeps): InitServiceServer {
  return {
    init: (call: ServerWritableStream<InitRequest, InitResponse>) => {
      void runInit(call, deps);
    },
  };
}

async function admit(call: ServerWritableStream<InitRequest, InitResponse>, deps: InitServiceDeps) {
  const subject = { peer: call.getPeer() };
  try {
    checkInitSecret(Buffer.from(call.request.initSecret), await deps.initSecretHash());
    const request = validateInitRequest(call.request);
    const holder = deps.lock.tryLock('init');
    if (holder === undefined) throw nodeAlreadyActivating(deps.lock.owner);
    deps.audit.record({ action: 'Init', outcome: 'granted', subject });
    return { request, holder };
  } catch (error) {
    deps.audit.record({
      action: 'Init',
      outcome: 'denied',
      subject,
      code: error instanceof ConstellationError ? error.code : 'INTERNAL',
      ...(error instanceof ConstellationError ? { reason: error.message } : {}),
    });
    call.emit('error', toBootstrapperServiceError(error));
    return undefined;
  }
}

async function runInit(call: ServerWritableStream<InitRequest, InitResponse>, deps: InitServiceDeps): Promise<void> {
  const admitted = await admit(call, deps);
  if (admitted === undefined) return;
  try {
    const success = await deps.initialize(admitted.request, admitted.holder, (step, message) => {
      call.write({ progress: { step, message } });
    });
    call.write({ success });
    call.end();
    deps.onInitialized(success);
  } catch (error) {
    call.write({ failure: publicFailure(error) });
    call.end();
    deps.onFailed(error);
  }
}
