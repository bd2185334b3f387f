// What a VM cluster needs on the host, checked before anything is created, and every miss reported at once
// with the package that provides it: one apt-get line fixes a fresh machine.
import { access, constants } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { ConstellationError } from '../errors.js';

export const MINI_HOST_REQUIREMENTS = 'MINI_HOST_REQUIREMENTS';

export const OVMF_DIR = '/usr/share/OVMF';

interface Executable {
  readonly name: string;
  readonly debianPackage: string;
}

const EXECUTABLES: readonly Executable[] = [
  { name: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
  { name: 'qemu-img', debianPackage: 'qemu-utils' },
  { name: 'swtpm', debianPackage: 'swtpm' },
  { name: 'swtpm_setup', debianPackage: 'swtpm-tools' },
  { name: 'swtpm_localca', debianPackage: 'swtpm-tools' },
  { name: 'ip', debianPackage: 'iproute2' },
  { name: 'dnsmasq', debianPackage: 'dnsmasq-base' },
];

/** The image build's outputs a cluster boots from (out/image, helper IMG's contract). */
export const IMAGE_FILES = ['disk.raw', 'image.json', 'ek-ca/swtpm-localca-rootca-cert.pem'] as const;

export interface HostRequirements {
  readonly executables: Readonly<Record<string, string>>;
  readonly ovmfCode: string;
  readonly ovmfVars: string;
  readonly imageDir: string;
  readonly diskImage: string;
  readonly ekCaDir: string;
}

export interface RequirementsProbe {
  /** Resolves an executable on PATH; undefined when absent. */
  findExecutable(name: string): Promise<string | undefined>;
  isReadable(path: string): Promise<boolean>;
}

export const hostProbe: RequirementsProbe = {
  async findExecutable(name) {
    // PATH plus the sbin directories a non-root login shell may lack (ip and dnsmasq live there).
    const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'].filter((dir) => dir !== '');
    for (const dir of dirs) {
      const candidate = join(dir, name);
      const found = await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      );
      if (found) return candidate;
    }
    return undefined;
  },
  isReadable: (path) =>
    access(path, constants.R_OK).then(
      () => true,
      () => false,
    ),
};

/** Checks everything; throws MINI_HOST_REQUIREMENTS naming every missing piece and how to get it. */
export async function checkHostRequirements(
  imageDir: string,
  probe: RequirementsProbe = hostProbe,
): Promise<HostRequirements> {
  const missing: string[] = [];
  const packages = new Set<string>();
  const executables: Record<string, string> = {};
  for (const executable of EXECUTABLES) {
    const path = await probe.findExecutable(executable.name);
    if (path === undefined) {
      missing.push(`the executable ${executable.name}`);
      packages.add(executable.debianPackage);
    } else executables[executable.name] = path;
  }
  const ovmfCode = join(OVMF_DIR, 'OVMF_CODE_4M.fd');
  const ovmfVars = join(OVMF_DIR, 'OVMF_VARS_4M.fd');
  for (const path of [ovmfCode, ovmfVars]) {
    if (!(await probe.isReadable(path))) {
      missing.push(`the firmware file ${path}`);
      packages.add('ovmf');
    }
  }
  const image = resolve(imageDir);
  const imageMissing: string[] = [];
  for (const file of IMAGE_FILES) {
    if (!(await probe.isReadable(join(image, file)))) imageMissing.push(file);
  }
  if (imageMissing.length > 0) missing.push(`the node image files ${imageMissing.join(', ')} in ${image}`);
  if (missing.length > 0) {
    const remedies = [
      ...(packages.size > 0
        ? [`install with: apt-get install -y --no-install-recommends ${[...packages].join(' ')}`]
        : []),
      ...(imageMissing.length > 0 ? ['build the image first (see docs/MINI-CLUSTER.md) or pass --image <dir>'] : []),
    ];
    throw new ConstellationError(
      MINI_HOST_REQUIREMENTS,
      `Expected every host requirement of a VM cluster, found missing: ${missing.join('; ')}. ${remedies.join('; ')}`,
    );
  }
  return {
    executables,
    ovmfCode,
    ovmfVars,
    imageDir: image,
    diskImage: join(image, 'disk.raw'),
    ekCaDir: join(image, 'ek-ca'),
  };
}
