// Powers one machine on (a detached machine-main.ts process) and off (SIGTERM: it stops its Bootstrapper and
// its swtpm), and finds out whether it runs. A pid is trusted only if /proc/<pid>/cmdline names the machine's
// spec file, which lies in this cluster's directory.
import { agentCommand, MACHINE_ENTRY, type AgentRuntime } from './agent-command.js';
import { nodeLayoutAt, type NodeLayout } from './cluster-layout.js';
import { startDetached } from './detached-process.js';
import { readNodeEvents, waitForNodeEvent, type NodeEvent } from './node-events.js';
import { findOwnedProcess, isAlive, stopOwnedProcess } from './owned-process.js';
import { ConstellationError } from '../errors.js';

export interface PowerOnOptions {
  readonly runtime: AgentRuntime;
  /** Boot a different kernel command line than the image's (changes a measured PCR: a tampered node). */
  readonly kernelCommandLine?: string;
  readonly timeoutMs?: number;
}

/** Starts the machine and resolves with its `booted` event (the Bootstrapper is starting then). */
export async function powerOn(nodeDir: string, options: PowerOnOptions): Promise<NodeEvent> {
  const layout = nodeLayoutAt(nodeDir);
  const running = await findOwnedProcess(layout.machinePidFile, layout.specFile);
  if (running !== undefined) {
    throw new ConstellationError(
      'LOCAL_NODE_RUNNING',
      `expected the machine in ${nodeDir} to be off, found it running as pid ${String(running.pid)}: stop it first`,
    );
  }
  const after = (await readNodeEvents(layout.events)).length;
  const pid = await startDetached({
    command: agentCommand(MACHINE_ENTRY, options.runtime),
    args: [
      layout.specFile,
      ...(options.kernelCommandLine === undefined ? [] : ['--kernel-command-line', options.kernelCommandLine]),
    ],
    cwd: nodeDir,
    stdoutFile: layout.machineLog,
    stderrFile: layout.machineLog,
    pidFile: layout.machinePidFile,
  });
  const booted = await waitForNodeEvent(
    layout.events,
    (event) => event.source === 'machine' && (event.event === 'booted' || event.event === 'boot-failed'),
    `the machine of ${nodeDir} to boot`,
    {
      after,
      timeoutMs: options.timeoutMs ?? 30_000,
      check: async () => {
        if (!isAlive(pid)) {
          throw new ConstellationError(
            'LOCAL_MACHINE_EXITED',
            `expected the machine of ${nodeDir} to boot, found it exited: see ${layout.machineLog}`,
          );
        }
        await Promise.resolve();
      },
    },
  );
  if (booted.event === 'boot-failed') {
    throw new ConstellationError(
      'LOCAL_BOOT_FAILED',
      `expected the machine of ${nodeDir} to boot, found: ${String(booted.message)} (see ${layout.machineLog})`,
    );
  }
  return booted;
}

/** Powers the machine off; also stops a Bootstrapper or swtpm left behind by a machine that was killed. */
export async function powerOff(nodeDir: string): Promise<'not-running' | 'terminated' | 'killed'> {
  const layout = nodeLayoutAt(nodeDir);
  const outcome = await stopOwnedProcess(layout.machinePidFile, layout.specFile, 15_000);
  await stopOwnedProcess(layout.bootstrapperPidFile, layout.stateDir, 5_000);
  await stopOwnedProcess(layout.swtpmPidFile, layout.tpmDir, 5_000);
  return outcome;
}

export async function machineRunning(layout: NodeLayout): Promise<number | undefined> {
  return (await findOwnedProcess(layout.machinePidFile, layout.specFile))?.pid;
}
