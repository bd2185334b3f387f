// The Init call on an attested channel: sends the request, forwards each progress message, and resolves with
// the success or turns the node's failure into an error carrying the node's code and message.
import type { ServiceError } from '@grpc/grpc-js';
import type { AttestedConnection } from '../../lib/atls/index.js';
import { InitServiceClient, type InitRequest, type InitSuccess } from '../../proto/gen/init.js';
import { NODE_ERROR_CODES, NodeRefusedError, NodeUnreachableError } from '../node-errors.js';
import { nodeErrorOf } from './node-dial.js';

export interface InitCallOptions {
  readonly connection: AttestedConnection<unknown>;
  readonly request: InitRequest;
  readonly subject: string;
  readonly onProgress: (step: string, message: string) => void;
  readonly signal?: AbortSignal;
  /** Bound on the whole call. Default 10 min: Kubernetes setup can take minutes. */
  readonly timeoutMs?: number;
}

const ID_LENGTH = 32;

export function callInit(options: InitCallOptions): Promise<InitSuccess> {
  const { connection, subject } = options;
  const client = new InitServiceClient(connection.target, connection.credentials, connection.channelOptions);
  return new Promise<InitSuccess>((resolve, reject) => {
    let outcome: { success: InitSuccess } | { error: Error } | undefined;
    const stream = client.init(options.request, { deadline: Date.now() + (options.timeoutMs ?? 600_000) });
    const abort = (): void => {
      stream.cancel();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    stream.on(
      'data',
      (message: {
        progress?: { step: string; message: string };
        success?: InitSuccess;
        failure?: { code: string; message: string };
      }) => {
        if (message.progress !== undefined) options.onProgress(message.progress.step, message.progress.message);
        else if (message.success !== undefined) outcome ??= { success: message.success };
        else if (message.failure !== undefined) {
          outcome ??= {
            error: new NodeRefusedError(
              message.failure.code || 'INIT_FAILED',
              `${subject} could not initialise the cluster: ${message.failure.message}. The node resets itself; run 'constellation init' again once it is back`,
            ),
          };
        }
      },
    );
    stream.on('error', (error: ServiceError) => {
      outcome ??= { error: nodeErrorOf(error, subject) };
    });
    stream.on('close', () => {
      options.signal?.removeEventListener('abort', abort);
      client.close();
      if (outcome === undefined) {
        reject(
          new NodeUnreachableError(
            NODE_ERROR_CODES.INIT_INCOMPLETE,
            `Expected ${subject} to end Init with a success or failure, found the stream closed without one; run 'constellation init' again`,
          ),
        );
      } else if ('error' in outcome) reject(outcome.error);
      else {
        try {
          resolve(checkSuccess(outcome.success, subject));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
  });
}

function checkSuccess(success: InitSuccess, subject: string): InitSuccess {
  const problems: string[] = [];
  if (success.clusterId.length !== ID_LENGTH) problems.push(`cluster_id of ${success.clusterId.length} bytes`);
  if (success.ownerId.length !== ID_LENGTH) problems.push(`owner_id of ${success.ownerId.length} bytes`);
  if (success.kubeconfig.length === 0) problems.push('an empty kubeconfig');
  if (success.nodeName === '') problems.push('no node name');
  if (problems.length > 0) {
    throw new NodeRefusedError(
      NODE_ERROR_CODES.NODE_ANSWER_INVALID,
      `Expected ${subject}'s Init success to carry 32-byte ids, a kubeconfig and a node name, found ${problems.join(', ')}`,
    );
  }
  return success;
}
