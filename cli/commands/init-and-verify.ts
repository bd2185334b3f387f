// The second half of `local up` and `mini up`, once the nodes serve Init: init on the first control plane, wait
// until every node serves its services (the others joined), then verify every node; each step a timed phase
// for the bench. How a node's progress is observed is the cluster's own (events file, milestones port).
import { ExitCode } from '../exit-codes.js';
import { initCluster, type InitResult } from './init.js';
import { verifyCluster, type VerifyReport } from './verify.js';

export interface InitAndVerifySteps {
  readonly progress: (message: string) => void;
  /** Ends a phase ('init', 'joins', 'verify'): see phaseTimer. */
  readonly lap: (phase: string) => void;
  /** Per node, how much progress it has reported so far (taken before init). */
  countProgress(): Promise<Record<string, number>>;
  /** Resolves once every node serves its services after `after[name]`. */
  waitForServices(after: Readonly<Record<string, number>>): Promise<unknown>;
  /** The progress line once every node serves its services. */
  readonly servicesMessage: string;
}

/** Throws on failures before verify; a failed verification is in the result (its `exitCode`). */
export async function initAndVerify(
  workspace: string,
  steps: InitAndVerifySteps,
): Promise<{ init: InitResult; verification: VerifyReport }> {
  const { progress, lap } = steps;
  const before = await steps.countProgress();
  const init = await initCluster({ workspace, progress });
  progress(`cluster ${init.clusterId.slice(0, 16)}… initialised on ${init.nodeName}`);
  lap('init');
  await steps.waitForServices(before);
  progress(steps.servicesMessage);
  lap('joins');
  const verification = await verifyCluster({ workspace, progress });
  progress(
    verification.exitCode === ExitCode.OK ? 'every node verified' : 'verification FAILED: the report is on stdout',
  );
  lap('verify');
  return { init, verification };
}
