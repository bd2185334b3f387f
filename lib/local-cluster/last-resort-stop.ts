// A synchronous power-off signal for every process of a cluster, for an owner that is exiting and cannot await
// (a test runner killing a timed-out test: its teardown never runs, but process 'exit' handlers do). Machines
// get SIGTERM and stop their own Bootstrapper and swtpm; nothing is removed. The same pid checks as always:
// a pid is signalled only if its command line names a path of this cluster.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLayout, nodeLayoutAt } from './cluster-layout.js';

export function signalClusterSync(workspace: string, signal: NodeJS.Signals = 'SIGTERM'): number {
  const layout = clusterLayout(workspace);
  let names: string[];
  try {
    names = readdirSync(join(layout.dir, 'nodes'));
  } catch {
    return 0;
  }
  const targets: [string, string][] = [[layout.metadataPidFile, layout.inventoryFile]];
  for (const name of names) {
    const node = nodeLayoutAt(join(layout.dir, 'nodes', name));
    targets.push([node.machinePidFile, node.specFile]);
  }
  let signalled = 0;
  for (const [pidFile, marker] of targets) {
    try {
      const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
      const cmdline = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0');
      if (pid > 1 && cmdline.some((argument) => argument.includes(marker))) {
        process.kill(pid, signal);
        signalled += 1;
      }
    } catch {
      // no pid file, or the process is gone
    }
  }
  return signalled;
}
