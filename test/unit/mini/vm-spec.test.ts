// The QEMU command line pins what the measured boot depends on: the boot disk first (bootindex=1, PCR 4), no
// default devices and no NIC option ROM (PCRs 1/2), the state disk by serial, two serial ports in order.
import t from 'tap';
import { vmLayoutAt } from '../../../lib/mini/mini-layout.js';
import { qemuArguments, swtpmArguments, vcpusPerVm, vmMac, type VmSpec } from '../../../lib/mini/vm-spec.js';

const spec: VmSpec = {
  name: 'worker-0',
  role: 'worker',
  address: '10.42.0.11',
  mac: '52:54:00:ab:cd:01',
  tap: 'tap1',
  namespace: 'constellation-mini-abcd0123',
  accelerator: 'tcg',
  vcpus: 1,
  memoryMiB: 1024,
  ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  baseDisk: '/images/disk.raw',
};
const layout = vmLayoutAt('/ws/constellation-mini/nodes/worker-0');

function valueOf(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1] ?? ''] : []));
}

t.test('boot order, devices and disks', (t) => {
  const args = qemuArguments(spec, layout);
  t.ok(args.includes('-nodefaults'));
  t.same(valueOf(args, '-machine'), ['q35,accel=tcg']);
  t.same(
    valueOf(args, '-cpu'),
    ['Opteron_G3,-svm,-misalignsse'],
    'AMD without SVM, AES-NI or AVX under TCG (no PTI, no kvm modules, no crypto self-tests)',
  );
  t.same(valueOf(args, '-smp'), ['1']);
  t.same(valueOf(args, '-m'), ['1024']);
  const devices = valueOf(args, '-device');
  t.same(
    devices.filter((device) => device.includes('bootindex')),
    ['virtio-blk-pci,drive=boot,bootindex=1'],
    'only the boot disk has a boot index, and it is 1',
  );
  t.ok(devices.includes('virtio-blk-pci,drive=state,serial=constellation-state'));
  t.ok(devices.includes('virtio-net-pci,netdev=net0,mac=52:54:00:ab:cd:01,romfile='));
  t.ok(devices.includes('tpm-tis,tpmdev=tpm0'));
  const drives = valueOf(args, '-drive');
  t.ok(drives.includes('if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd'));
  t.ok(drives.includes(`if=pflash,format=raw,unit=1,file=${layout.varsFile}`), 'the VM’s own NVRAM copy');
  t.ok(drives.includes(`if=none,id=boot,format=qcow2,file=${layout.bootDisk}`), 'the overlay, never the base');
  t.ok(
    drives.includes(`if=none,id=state,format=raw,cache=unsafe,file=${layout.stateDisk}`),
    'guest flushes do not wait for the host disk (the file is synced at power-off)',
  );
  t.notOk(
    args.some((arg) => arg.includes(spec.baseDisk)),
    'the base image is only the overlay’s backing file',
  );
  t.same(valueOf(args, '-serial'), ['chardev:console', 'chardev:milestones'], 'ttyS0 console, ttyS1 milestones');
  t.ok(valueOf(args, '-chardev').includes(`file,id=milestones,path=${layout.milestonesLog},append=on`));
  t.same(valueOf(args, '-netdev'), ['tap,id=net0,ifname=tap1,script=no,downscript=no']);
  t.end();
});

t.test('KVM uses the host CPU', (t) => {
  const args = qemuArguments({ ...spec, accelerator: 'kvm', vcpus: 2 }, layout);
  t.same(valueOf(args, '-machine'), ['q35,accel=kvm']);
  t.same(valueOf(args, '-cpu'), ['host']);
  t.same(valueOf(args, '-smp'), ['2']);
  t.end();
});

t.test('swtpm: state kept in the VM, control socket for QEMU, exits with QEMU', (t) => {
  const args = swtpmArguments(layout);
  t.same(valueOf(args, '--tpmstate'), [`dir=${layout.tpmDir}`]);
  t.same(valueOf(args, '--ctrl'), [`type=unixio,path=${layout.swtpmSocket}`]);
  t.ok(args.includes('--terminate'));
  t.notOk(
    args.some((arg) => arg.includes('startup-clear')),
    'the firmware sends TPM2_Startup, not swtpm',
  );
  t.end();
});

t.test('vCPUs: 2 for one VM on 2 cores, 1 each for several', (t) => {
  t.equal(vcpusPerVm(1, 2), 2);
  t.equal(vcpusPerVm(1, 1), 1);
  t.equal(vcpusPerVm(3, 2), 1);
  t.equal(vcpusPerVm(2, 64), 1);
  t.end();
});

t.test('MACs: fixed per cluster and node, locally administered QEMU prefix', (t) => {
  t.equal(vmMac('abcd0123', 0), '52:54:00:ab:cd:00');
  t.equal(vmMac('abcd0123', 11), '52:54:00:ab:cd:0b');
  t.not(vmMac('abcd0123', 1), vmMac('abce0123', 1));
  t.end();
});
