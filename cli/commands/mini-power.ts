// `constellation mini stop [node…]` / `mini start [node…]`: power VMs off (in order, by the ACPI power button) and
// on again, keeping their TPM, firmware NVRAM, state disk and boot overlay, as a cloud VM that is stopped and
// started. All nodes when none is named.
import { Command } from 'commander';
import { waitForMilestone } from '../../lib/mini/milestones.js';
import { miniLayout } from '../../lib/mini/mini-layout.js';
import { startMiniNodes, stopMiniNodes } from '../../lib/mini/vm-power.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { elapsedProgress } from './local-progress.js';

/** The first milestone of a booted Bootstrapper: it serves Init, recovery or tries to rejoin. */
export const FIRST_MILESTONES = ['serving-init', 'waiting-for-recovery', 'waiting-to-rejoin'] as const;
const BOOT_TIMEOUT_MS = 15 * 60_000;

export function makeMiniStopCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('stop')
    .description('Power VMs off in order (ACPI power button); TPM state, state disk and boot disk stay')
    .argument('[nodes...]', 'node names, e.g. worker-0 (default: every node; see constellation mini status)')
    .option('--workspace <dir>', 'workspace directory', 'mini-cluster')
    .addHelpText(
      'after',
      `
Each guest gets 180 s to shut down (its Bootstrapper closes the state disk, the kernel sends TPM2_Shutdown);
QEMU is terminated after that. Stopping every node is a full shutdown: 'mini start' then boots the control
plane into waiting for 'constellation recover'.

Examples:
  $ constellation mini stop worker-0
  $ constellation mini stop            (every node)`,
    )
    .action(async (nodes: string[], flags: { workspace: string }) => {
      try {
        await stopMiniNodes(flags.workspace, nodes, { progress: elapsedProgress(io.stderr) });
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation mini stop --help'));
      }
    });
}

export function makeMiniStartCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('start')
    .description('Power VMs on: each boots afresh (new PCRs) and rejoins, or waits for recovery')
    .argument('[nodes...]', 'node names, e.g. worker-0 (default: every node)')
    .option('--workspace <dir>', 'workspace directory', 'mini-cluster')
    .option(
      '--kernel-command-line <text>',
      "boot from a copy of the image's disk whose UKI carries this command line (PCRs 4 and 11 change: a tampered node for tests)",
    )
    .option('--no-wait', 'return once QEMU runs instead of waiting for the Bootstrapper')
    .addHelpText(
      'after',
      `
Waits (up to 15 min) until each started node's Bootstrapper reports its first milestone (serving-init,
waiting-to-rejoin or waiting-for-recovery). A later 'mini start' without --kernel-command-line boots the
node from the image's disk again.

Examples:
  $ constellation mini start worker-0
  $ constellation mini start worker-1 --kernel-command-line "$(cat out/image/cmdline.txt) constellation.tampered=1"
    (the node runs, the cluster refuses it; 'constellation verify --node worker-1' names PCRs 4 and 11)`,
    )
    .action(async (nodes: string[], flags: { workspace: string; kernelCommandLine?: string; wait: boolean }) => {
      try {
        const progress = elapsedProgress(io.stderr);
        const reports = await startMiniNodes(flags.workspace, nodes, {
          progress,
          ...(flags.kernelCommandLine === undefined ? {} : { kernelCommandLine: flags.kernelCommandLine }),
        });
        if (flags.wait) {
          const layout = miniLayout(flags.workspace);
          await Promise.all(
            reports
              .filter((report) => report.outcome === 'started')
              .map(async (report) => {
                const milestone = await waitForMilestone(
                  layout.node(report.name).milestonesLog,
                  FIRST_MILESTONES,
                  report.name,
                  { after: report.milestonesBefore ?? 0, timeoutMs: BOOT_TIMEOUT_MS },
                );
                progress(`${report.name}: ${milestone.event}`);
              }),
          );
        }
        done(ExitCode.OK);
      } catch (error) {
        done(reportError(io, error, 'constellation mini start --help'));
      }
    });
}
