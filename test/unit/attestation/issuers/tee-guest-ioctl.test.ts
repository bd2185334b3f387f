// The legacy guest-device entry points (native/tee-guest.ts over tee_guest.node). No SEV/TDX hardware here:
// these check the ABI numbers, argument validation and that absent or wrong devices give clear typed errors.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../../lib/errors.js';
import {
  MAX_SNP_CERTS_LENGTH,
  snpGetReport,
  TeeDeviceError,
  tdxGetReport0,
  teeGuestIoctls,
} from '../../../../native/tee-guest.js';

const reportData = Buffer.alloc(64, 1);

t.test('ioctl request numbers equal the kernel uapi values', (t) => {
  // _IOWR('S', 0/2, struct snp_guest_request_ioctl /* 32 bytes */), _IOWR('T', 1, struct tdx_report_req /* 1088 */)
  t.same(teeGuestIoctls(), {
    SNP_GET_REPORT: 0xc0205300,
    SNP_GET_EXT_REPORT: 0xc0205302,
    TDX_CMD_GET_REPORT0: 0xc4405401,
  });
  t.end();
});

t.test('absent devices → TEE_UNAVAILABLE naming the device and the driver, with the caller in the stack', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tee-dev-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sevPath = join(dir, 'sev-guest');
  const snp = await snpGetReport({ reportData, devicePath: sevPath }).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(snp, TeeDeviceError);
  t.match(snp, {
    code: 'TEE_UNAVAILABLE',
    errno: 2,
    message: new RegExp(`SEV-SNP guest device ${sevPath}.*No such file.*sev-guest driver`),
  });
  t.match((snp as Error).stack, /tee-guest-ioctl\.test\.ts/, 'stack points at the caller');
  for (const extended of [false, true]) {
    await t.rejects(snpGetReport({ reportData, devicePath: sevPath, extended }), {
      constructor: TeeDeviceError,
      code: 'TEE_UNAVAILABLE',
    });
  }
  await t.rejects(tdxGetReport0({ reportData, devicePath: join(dir, 'tdx_guest') }), {
    constructor: TeeDeviceError,
    code: 'TEE_UNAVAILABLE',
    errno: 2,
    message: /TDX guest device .*tdx-guest driver/,
  });
});

t.test('a device that is not a TEE guest device → TEE_IOCTL_FAILED with errno, no crash', async (t) => {
  await t.rejects(snpGetReport({ reportData, devicePath: '/dev/null' }), {
    constructor: TeeDeviceError,
    code: 'TEE_IOCTL_FAILED',
    errno: 25, // ENOTTY
    message: /SNP_GET_EXT_REPORT on \/dev\/null failed: Inappropriate ioctl/,
  });
  await t.rejects(snpGetReport({ reportData, devicePath: '/dev/null', extended: false }), {
    code: 'TEE_IOCTL_FAILED',
    message: /SNP_GET_REPORT on \/dev\/null/,
  });
  await t.rejects(tdxGetReport0({ reportData, devicePath: '/dev/null' }), {
    constructor: TeeDeviceError,
    code: 'TEE_IOCTL_FAILED',
    errno: 25,
    message: /TDX_CMD_GET_REPORT0 on \/dev\/null failed/,
  });
});

t.test('arguments are validated with "Expected X for Y"', async (t) => {
  const cases: [string, () => Promise<unknown>][] = [
    ['reportData', () => snpGetReport({ reportData: Buffer.alloc(63) })],
    ['reportData', () => snpGetReport({ reportData: 'x' as unknown as Buffer })],
    ['reportData', () => tdxGetReport0({ reportData: Buffer.alloc(65) })],
    ['vmpl', () => snpGetReport({ reportData, vmpl: 4 })],
    ['vmpl', () => snpGetReport({ reportData, vmpl: -1 })],
    ['vmpl', () => snpGetReport({ reportData, vmpl: 0.5 })],
    ['extended', () => snpGetReport({ reportData, extended: 1 as unknown as boolean })],
    ['certsLength', () => snpGetReport({ reportData, certsLength: MAX_SNP_CERTS_LENGTH + 1 })],
    ['certsLength', () => snpGetReport({ reportData, certsLength: -4096 })],
    ['devicePath', () => snpGetReport({ reportData, devicePath: '' })],
    ['devicePath', () => tdxGetReport0({ reportData, devicePath: 'a\0b' })],
  ];
  for (const [name, call] of cases) {
    await t.rejects(
      call(),
      { constructor: InputError, code: 'INVALID_ARGUMENT', message: new RegExp(`for ${name} but`) },
      name,
    );
  }
});
