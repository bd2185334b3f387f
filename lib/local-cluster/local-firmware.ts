// The firmware every machine of the local cluster boots (lib/boot's local image), and the policy that accepts
// exactly that image. A machine may boot a different kernel command line to play a tampered node.
import { createHash } from 'node:crypto';
import { imagePolicy, localImage, simulateBoot, type ImagePolicyJson } from '../boot/index.js';
import type { Firmware } from './machine.js';
import { PCR_BANKS } from './machine.js';

export interface LocalFirmware {
  readonly firmware: Firmware;
  /** What the machine records in its `booted` event: whether the command line is the image's own. */
  readonly description: Record<string, unknown>;
}

export function localFirmware(kernelCommandLine?: string): LocalFirmware {
  const components = localImage(kernelCommandLine === undefined ? {} : { kernelCommandLine });
  return {
    firmware: (tpm) => simulateBoot(tpm, components, { banks: PCR_BANKS }),
    description:
      kernelCommandLine === undefined
        ? { image: 'local', kernelCommandLine: 'image default' }
        : {
            image: 'local',
            kernelCommandLine: 'override',
            kernelCommandLineSha256: createHash('sha256').update(kernelCommandLine).digest('hex'),
          },
  };
}

/** The attestation policy of the image the machines boot (PCR 15 is left to the CLI: zero or the cluster's). */
export function localImagePolicy(): ImagePolicyJson {
  return imagePolicy(localImage());
}
