// The accelerator decision from recorded /proc/cpuinfo excerpts (fixtures/README.md): KVM only when the CPU
// offers vmx/svm AND /dev/kvm is usable AND it is not PVM; this CI host kind (a guest, PVM KVM) gets TCG.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { chooseAcceleration, cpuFlags, describeAcceleration } from '../../../lib/mini/acceleration.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const pvmGuest = fixture('cpuinfo-pvm-guest.txt');
const vmxHost = fixture('cpuinfo-vmx-host.txt');
const svmHost = fixture('cpuinfo-svm-host.txt');

t.test('this host kind: no vmx/svm and a PVM /dev/kvm → TCG, both reasons named', (t) => {
  const decision = chooseAcceleration({ cpuinfo: pvmGuest, kvmDeviceUsable: true, kvmIsPvm: true });
  t.equal(decision.accelerator, 'tcg');
  t.match(decision.reason, /neither vmx nor svm \(this host is itself a guest/);
  t.match(decision.reason, /PVM/);
  t.match(describeAcceleration(decision), /^Acceleration: TCG \(no hardware virtualisation for standard guests: /);
  t.end();
});

t.test('the existence of /dev/kvm alone never means KVM', (t) => {
  t.equal(chooseAcceleration({ cpuinfo: pvmGuest, kvmDeviceUsable: true, kvmIsPvm: false }).accelerator, 'tcg');
  t.equal(chooseAcceleration({ cpuinfo: vmxHost, kvmDeviceUsable: true, kvmIsPvm: true }).accelerator, 'tcg');
  t.end();
});

t.test('hardware virtualisation and a usable, standard /dev/kvm → KVM', (t) => {
  for (const [name, cpuinfo, flag] of [
    ['vmx', vmxHost, 'vmx'],
    ['svm', svmHost, 'svm'],
  ] as const) {
    const decision = chooseAcceleration({ cpuinfo, kvmDeviceUsable: true, kvmIsPvm: false });
    t.equal(decision.accelerator, 'kvm', name);
    t.match(decision.reason, flag);
    t.match(describeAcceleration(decision), /^Acceleration: KVM/);
  }
  t.end();
});

t.test('vmx/svm without a usable /dev/kvm → TCG naming the device', (t) => {
  const decision = chooseAcceleration({ cpuinfo: svmHost, kvmDeviceUsable: false, kvmIsPvm: false });
  t.equal(decision.accelerator, 'tcg');
  t.match(decision.reason, '/dev/kvm is missing or not read-writable');
  t.end();
});

t.test('an unreadable or empty cpuinfo → TCG', (t) => {
  t.equal(chooseAcceleration({ cpuinfo: '', kvmDeviceUsable: true, kvmIsPvm: false }).accelerator, 'tcg');
  t.same([...cpuFlags('')], []);
  t.ok(cpuFlags(vmxHost).has('vmx'));
  // "vmx flags" (a later line) is not the flags line.
  t.notOk(cpuFlags(pvmGuest).has('vmx'));
  t.end();
});
