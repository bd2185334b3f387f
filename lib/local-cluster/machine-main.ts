// A machine of the local cluster as a process: `machine-main <machine.json> [--kernel-command-line <text>]`.
// Started detached by `constellation local up|start`; SIGTERM powers it off. Logs (JSON) on stderr, which the
// launcher sends to the node's machine.log; milestones go to the node's events.jsonl.
import { readMachineSpec } from './machine-spec.js';
import { agentCommand, BOOTSTRAPPER_ENTRY } from './agent-command.js';
import { localFirmware } from './local-firmware.js';
import { Machine } from './machine.js';
import { nodeLayoutAt } from './cluster-layout.js';
import { readPidFile } from './owned-process.js';
import { rm } from 'node:fs/promises';
import { createLogger } from '../log/index.js';
import { ConstellationError } from '../errors.js';

async function main(argv: readonly string[]): Promise<number> {
  const [specFile, ...rest] = argv;
  const override = rest.length === 2 && rest[0] === '--kernel-command-line' ? rest[1] : undefined;
  if (specFile === undefined || (rest.length !== 0 && override === undefined)) {
    process.stderr.write('usage: machine-main <machine.json> [--kernel-command-line <text>]\n');
    return 2;
  }
  const kernelCommandLine = override;
  const spec = await readMachineSpec(specFile);
  const logger = createLogger({ name: `machine/${spec.name}`, level: spec.logLevel, transport: 'stderr-json' });
  const { firmware, description } = localFirmware(kernelCommandLine);
  const machine = new Machine({
    spec,
    // The CA's configuration exists (local up made it); provisioning only reads it.
    ca: {
      dir: spec.caDir,
      rootPem: () => Promise.reject(new Error('unused')),
      intermediatePem: () => Promise.reject(new Error('unused')),
    },
    firmware,
    firmwareDescription: description,
    bootstrapper: agentCommand(BOOTSTRAPPER_ENTRY, spec.runtime),
    logger,
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      logger.info('powering off', { signal });
      machine.powerOff();
    });
  }
  await machine.run();
  // Leave the pid file to a newer machine if one was started meanwhile.
  const pidFile = nodeLayoutAt(spec.nodeDir).machinePidFile;
  if ((await readPidFile(pidFile)) === process.pid) await rm(pidFile, { force: true });
  logger.info('powered off');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof ConstellationError ? error.code : 'INTERNAL';
    process.stderr.write(`machine: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
