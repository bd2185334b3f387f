// Stage 4a: the unified kernel image: systemd-stub 252 (the tree's linuxx64.efi.stub) with the os-release, the
// command line, the kernel and the initrd as PE sections at mkosi 14's addresses. systemd-stub measures each
// section into PCR 11; OVMF measures the whole PE (Authenticode) into PCR 4. objcopy stamps the PE header with the
// current time, so the header gets SOURCE_DATE_EPOCH afterwards (pe-timestamp.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from './build-tools.js';
import { withPeTimestamp } from './pe-timestamp.js';

export const UKI_FILE = 'uki.efi';
export const UKI_PARTS = { osRelease: 'os-release', cmdline: 'cmdline.txt', linux: 'vmlinuz', initrd: 'initrd.img' };
export const STUB_PATH = 'usr/lib/systemd/boot/efi/linuxx64.efi.stub';

export interface UkiInputs {
  readonly stub: string;
  readonly linux: string;
  readonly initrd: string;
  readonly osRelease: string;
  readonly cmdline: string;
  readonly sourceDateEpoch: number;
}

/** The objcopy arguments (section name, file, VMA) in the order systemd-stub measures them. */
export function ukiObjcopyArguments(
  parts: { osrel: string; cmdline: string; linux: string; initrd: string },
  stub: string,
  output: string,
): string[] {
  const sections: [string, string, string][] = [
    ['.osrel', parts.osrel, '0x20000'],
    ['.cmdline', parts.cmdline, '0x30000'],
    ['.linux', parts.linux, '0x2000000'],
    ['.initrd', parts.initrd, '0x3000000'],
  ];
  return [
    ...sections.flatMap(([name, file, vma]) => [
      '--add-section',
      `${name}=${file}`,
      '--change-section-vma',
      `${name}=${vma}`,
    ]),
    stub,
    output,
  ];
}

/** Writes the parts (os-release, cmdline.txt) and the UKI into `dir`. */
export async function buildUki(dir: string, inputs: UkiInputs, run: CommandRunner): Promise<string> {
  const osrel = join(dir, UKI_PARTS.osRelease);
  const cmdline = join(dir, UKI_PARTS.cmdline);
  await writeFile(osrel, inputs.osRelease);
  // systemd-stub passes the section verbatim; no trailing newline on the kernel's command line.
  await writeFile(cmdline, inputs.cmdline);
  const output = join(dir, UKI_FILE);
  await run(
    'objcopy',
    ukiObjcopyArguments({ osrel, cmdline, linux: inputs.linux, initrd: inputs.initrd }, inputs.stub, output),
    {
      env: { SOURCE_DATE_EPOCH: String(inputs.sourceDateEpoch) },
    },
  );
  await writeFile(output, withPeTimestamp(await readFile(output), inputs.sourceDateEpoch));
  return output;
}
