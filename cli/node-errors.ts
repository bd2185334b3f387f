// Outcomes that come from a node rather than from the CLI's input or the evidence: the node answered and
// refused (wrong init secret, already initialised, recovery key rejected), or no node answered in time.
// Separate classes so the exit code follows the class, never the message.
import { ConstellationError } from '../lib/errors.js';

/** A node answered and refused the request; `code` is the node's error code. */
export class NodeRefusedError extends ConstellationError {}

/** No node answered within the time limit. */
export class NodeUnreachableError extends ConstellationError {}

export const NODE_ERROR_CODES = {
  /** The state file already holds cluster values: this workspace's cluster is initialised. */
  CLUSTER_ALREADY_INITIALIZED: 'CLUSTER_ALREADY_INITIALIZED',
  /** The node could not be reached before the deadline. */
  NODE_UNREACHABLE: 'NODE_UNREACHABLE',
  /** The Init stream ended without a success or failure message. */
  INIT_INCOMPLETE: 'INIT_INCOMPLETE',
  /** The node's answer is malformed (wrong lengths). */
  NODE_ANSWER_INVALID: 'NODE_ANSWER_INVALID',
  /** Recovery: the node's disk did not open with the key derived from this workspace's master secret. */
  RECOVERY_KEY_REJECTED: 'RECOVERY_KEY_REJECTED',
} as const;
