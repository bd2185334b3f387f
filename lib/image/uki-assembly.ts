// How a UKI is put together from its parts: systemd-stub 252 with the os-release, the command line, the kernel and
// the initrd as PE sections at mkosi 14's addresses, by objcopy, then the PE header stamped with SOURCE_DATE_EPOCH
// (objcopy writes the current time, and the stamp is inside the Authenticode digest, so PCR 4). systemd-stub
// measures each section into PCR 11; OVMF measures the whole PE into PCR 4. The image build assembles the UKI of
// a release this way, and `mini start --kernel-command-line` a variant of it (a tampered node for tests).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setPeTimestamp } from './pe-timestamp.js';

export const UKI_FILE = 'uki.efi';
/** The parts as the image build leaves them next to the UKI (out/image). */
export const UKI_PARTS = { osRelease: 'os-release', cmdline: 'cmdline.txt', linux: 'vmlinuz', initrd: 'initrd.img' };
/** The sections systemd-stub reads, with their VMAs, in the order it measures them. */
export const UKI_SECTIONS = [
  ['.osrel', '0x20000'],
  ['.cmdline', '0x30000'],
  ['.linux', '0x2000000'],
  ['.initrd', '0x3000000'],
] as const;

/** Runs a program (objcopy) and resolves when it exited 0; rejects with its error otherwise. */
export type ObjcopyRunner = (
  program: string,
  args: readonly string[],
  options?: { readonly env?: Readonly<Record<string, string>> },
) => Promise<unknown>;

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
  const files: Record<(typeof UKI_SECTIONS)[number][0], string> = {
    '.osrel': parts.osrel,
    '.cmdline': parts.cmdline,
    '.linux': parts.linux,
    '.initrd': parts.initrd,
  };
  return [
    ...UKI_SECTIONS.flatMap(([name, vma]) => [
      '--add-section',
      `${name}=${files[name]}`,
      '--change-section-vma',
      `${name}=${vma}`,
    ]),
    stub,
    output,
  ];
}

/** The objcopy arguments that take a UKI's sections out again, leaving the systemd-stub it was built from. */
export function stubObjcopyArguments(uki: string, output: string): string[] {
  return [...UKI_SECTIONS.flatMap(([name]) => ['--remove-section', name]), uki, output];
}

/** Writes the parts (os-release, cmdline.txt) and the UKI into `dir`; resolves to the UKI's path. */
export async function assembleUki(dir: string, inputs: UkiInputs, run: ObjcopyRunner): Promise<string> {
  const osrel = join(dir, UKI_PARTS.osRelease);
  const cmdline = join(dir, UKI_PARTS.cmdline);
  await writeFile(osrel, inputs.osRelease);
  // systemd-stub passes the section verbatim; no trailing newline on the kernel's command line.
  await writeFile(cmdline, inputs.cmdline);
  const output = join(dir, UKI_FILE);
  await run(
    'objcopy',
    ukiObjcopyArguments({ osrel, cmdline, linux: inputs.linux, initrd: inputs.initrd }, inputs.stub, output),
    { env: { SOURCE_DATE_EPOCH: String(inputs.sourceDateEpoch) } },
  );
  await writeFile(output, setPeTimestamp(await readFile(output), inputs.sourceDateEpoch));
  return output;
}
