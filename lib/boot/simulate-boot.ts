// The simulated firmware and boot loader of a local node: extends each component's measurement into its PCR, in
// every bank the log declares, and returns the event log that explains the result. Run once per TPM power cycle
// (PCRs reset on swtpm restart), before the Bootstrapper starts.
import type { Tpm } from '../../native/tpm.js';
import { BOOT_BANKS, checkBootComponents, type BootComponent } from './boot-component.js';
import { measurementDigests } from './expected-pcrs.js';
import { encodeEventLog } from './tcg-event-log.js';
import type { PcrBank } from '../tpm/pcr.js';

export interface SimulateBootOptions {
  /** Banks to extend and log (default sha1, sha256, sha384: the banks the local swtpm has active). */
  readonly banks?: readonly PcrBank[];
}

export async function simulateBoot(
  tpm: Pick<Tpm, 'pcrExtend'>,
  components: readonly BootComponent[],
  options: SimulateBootOptions = {},
): Promise<Buffer> {
  const banks = options.banks ?? BOOT_BANKS;
  checkBootComponents(components);
  // Encode first: a component the log cannot carry must not leave the PCRs half-extended.
  const log = encodeEventLog(components, banks);
  for (const component of components) {
    await tpm.pcrExtend(component.pcr, measurementDigests(component.measured, banks));
  }
  return log;
}
