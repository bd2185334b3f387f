// A Tpm opened on a fresh swtpm for one test, closed (then the swtpm stopped) in its teardown.
import type { Test } from 'tap';
import { swtpmFor } from '../../helpers/swtpm.js';
import type { Swtpm } from '../../../lib/swtpm/swtpm-process.js';
import { Tpm } from '../../../native/tpm.js';

export async function openTpmFor(
  t: Pick<Test, 'teardown'>,
  options: { withEkCert?: boolean } = {},
): Promise<{ tpm: Tpm; swtpm: Swtpm }> {
  const swtpm = await swtpmFor(t, options);
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  return { tpm, swtpm };
}
