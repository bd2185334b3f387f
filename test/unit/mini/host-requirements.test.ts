// Host requirements are checked first and every miss is reported at once, with the apt-get line that fixes it.
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import {
  checkHostRequirements,
  MINI_HOST_REQUIREMENTS,
  type RequirementsProbe,
} from '../../../lib/mini/host-requirements.js';

function probe(missingExecutables: readonly string[], missingFiles: readonly RegExp[]): RequirementsProbe {
  return {
    findExecutable: (name) => Promise.resolve(missingExecutables.includes(name) ? undefined : `/usr/bin/${name}`),
    isReadable: (path) => Promise.resolve(!missingFiles.some((pattern) => pattern.test(path))),
  };
}

t.test('everything present: the paths of the firmware, the image and the CA', async (t) => {
  const found = await checkHostRequirements('/images/x', probe([], []));
  t.equal(found.ovmfCode, '/usr/share/OVMF/OVMF_CODE_4M.fd');
  t.equal(found.ovmfVars, '/usr/share/OVMF/OVMF_VARS_4M.fd');
  t.equal(found.diskImage, '/images/x/disk.raw');
  t.equal(found.ekCaDir, '/images/x/ek-ca');
  t.equal(found.executables['qemu-system-x86_64'], '/usr/bin/qemu-system-x86_64');
});

t.test('every missing piece in one error, with the packages to install', async (t) => {
  const error = await checkHostRequirements(
    '/images/x',
    probe(['qemu-system-x86_64', 'qemu-img', 'dnsmasq', 'swtpm_setup'], [/OVMF_CODE_4M/, /disk\.raw$/]),
  ).catch((e: unknown) => e);
  t.type(error, ConstellationError);
  const { code, message } = error as ConstellationError;
  t.equal(code, MINI_HOST_REQUIREMENTS);
  for (const expected of [
    'the executable qemu-system-x86_64',
    'the executable qemu-img',
    'the executable dnsmasq',
    'the executable swtpm_setup',
    'the firmware file /usr/share/OVMF/OVMF_CODE_4M.fd',
    'the node image files disk.raw in /images/x',
  ]) {
    t.match(message, expected);
  }
  t.match(message, /^Expected every host requirement/);
  t.match(
    message,
    'install with: apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils swtpm-tools dnsmasq-base ovmf',
  );
  t.match(message, 'build the image first');
});

t.test('only the image missing: no apt-get line', async (t) => {
  const error = await checkHostRequirements('/nowhere', probe([], [/^\/nowhere\//])).catch((e: unknown) => e);
  t.equal((error as ConstellationError).code, MINI_HOST_REQUIREMENTS);
  t.match((error as Error).message, 'disk.raw, image.json, ek-ca/swtpm-localca-rootca-cert.pem in /nowhere');
  t.notMatch((error as Error).message, 'apt-get');
});

t.test('each single missing executable is named with its package', async (t) => {
  for (const [name, pkg] of [
    ['swtpm', 'swtpm'],
    ['ip', 'iproute2'],
    ['dnsmasq', 'dnsmasq-base'],
    ['qemu-img', 'qemu-utils'],
  ] as const) {
    const error = await checkHostRequirements('/images/x', probe([name], [])).catch((e: unknown) => e);
    t.equal((error as ConstellationError).code, MINI_HOST_REQUIREMENTS, name);
    t.match((error as Error).message, `the executable ${name}`);
    t.match((error as Error).message, `--no-install-recommends ${pkg}`);
  }
});
