// UKI sections and the PCR 4 / PCR 11 prediction on an objcopy-built UKI (systemd-stub 252 + small stand-in
// parts), against values recorded from systemd-measure (PCR 11) and an independent Python replay (PCR 4); the
// known event digests of OVMF's PCR 4 actions; VirtualSize handling; the refusals.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  DEFAULT_PCR_PHASES,
  PE_INVALID,
  predictUkiPcrs,
  ukiBootEvents,
  ukiSections,
} from '../../../lib/image/index.js';
import { InputError } from '../../../lib/errors.js';
import { buildPe } from './pe-builder.js';

const VECTORS = new URL('../../vectors/image/', import.meta.url);
const vector = (name: string): Buffer => readFileSync(new URL(name, VECTORS));
const expected = JSON.parse(vector('expected.json').toString()) as {
  pcr4: Record<string, string>;
  pcr11: Record<string, string>;
};
const uki = vector('uki.efi');
const hex = (b: Buffer): string => b.toString('hex');

t.test('ukiSections gives each part exactly as objcopy added it', (t) => {
  const sections = ukiSections(uki);
  t.same(sections.get('.linux'), vector('kernel.efi'));
  t.same(sections.get('.osrel'), vector('os-release'));
  t.same(sections.get('.cmdline'), vector('cmdline.txt'));
  t.same(sections.get('.initrd'), vector('initrd.img'));
  t.ok(sections.has('.text') && sections.has('.sdmagic'), "the stub's own sections are listed too");
  t.end();
});

t.test('PCR 4 equals the independent replay, with and without a failed boot option', (t) => {
  t.equal(hex(predictUkiPcrs({ uki }).pcr4), expected.pcr4['0']);
  t.equal(hex(predictUkiPcrs({ uki, failedBootOptions: 1 }).pcr4), expected.pcr4['1']);
  t.end();
});

t.test('PCR 11 equals systemd-measure for each phase list', (t) => {
  t.same(DEFAULT_PCR_PHASES, ['enter-initrd', 'leave-initrd', 'sysinit', 'ready']);
  t.equal(
    hex(predictUkiPcrs({ uki }).pcr11),
    expected.pcr11['enter-initrd:leave-initrd:sysinit:ready'],
    'default phases',
  );
  for (const [phases, value] of Object.entries(expected.pcr11)) {
    t.equal(hex(predictUkiPcrs({ uki, phases: phases.split(':') }).pcr11), value, phases);
  }
  t.end();
});

t.test('the events: known OVMF action digests, then the UKI and kernel, then the stub sections in order', (t) => {
  const events = ukiBootEvents({ uki, failedBootOptions: 1, phases: ['sysinit'] });
  const pcr4 = events.filter((e) => e.pcr === 4).map((e) => hex(e.digest));
  t.same(pcr4.slice(0, 4), [
    '3d6772b4f84ed47595d72a2c4c5ffd15f5bb72c7507fe26f2aaee2c69d5633ba', // "Calling EFI Application from Boot Option"
    'df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119', // separator 00000000
    '7044f06303e54fa96c3fcd1a0f11047c03d209074470b1fd60460c9f007e28a6', // "Returning from EFI Application …"
    '3d6772b4f84ed47595d72a2c4c5ffd15f5bb72c7507fe26f2aaee2c69d5633ba',
  ]);
  t.equal(pcr4.length, 6);
  t.same(
    events.filter((e) => e.pcr === 11).map((e) => e.description),
    [
      'EV_IPL ".linux" name',
      'EV_IPL ".linux" content',
      'EV_IPL ".osrel" name',
      'EV_IPL ".osrel" content',
      'EV_IPL ".cmdline" name',
      'EV_IPL ".cmdline" content',
      'EV_IPL ".initrd" name',
      'EV_IPL ".initrd" content',
      'systemd-pcrphase "sysinit"',
    ],
  );
  const linuxName = events.find((e) => e.description === 'EV_IPL ".linux" name');
  t.equal(
    hex(linuxName?.digest ?? Buffer.alloc(0)),
    '0da293e37ad5511c59be47993769aacb91b243f7d010288e118dc90e95aaef5a',
  );
  t.end();
});

t.test('the command line is measured: changing it moves PCR 4 and PCR 11', (t) => {
  const at = uki.indexOf(vector('cmdline.txt'));
  const tampered = Buffer.from(uki);
  tampered.write('X', at + 3, 'latin1');
  const a = predictUkiPcrs({ uki });
  const b = predictUkiPcrs({ uki: tampered });
  t.not(hex(a.pcr4), hex(b.pcr4));
  t.not(hex(a.pcr11), hex(b.pcr11));
  t.end();
});

t.test('sections are VirtualSize bytes: cut from the raw data, zero-filled beyond it; empty ones not measured', (t) => {
  const kernel = vector('kernel.efi');
  const pe = buildPe({
    sections: [
      { name: '.linux', data: kernel },
      { name: '.osrel', data: Buffer.from('ID=x\nPADDING'), virtualSize: 5 },
      { name: '.cmdline', data: Buffer.from('ro'), virtualSize: 6 },
      { name: '.splash', data: Buffer.alloc(0), virtualSize: 0 },
    ],
  }).bytes;
  const sections = ukiSections(pe);
  t.same(sections.get('.osrel'), Buffer.from('ID=x\n'));
  t.same(sections.get('.cmdline'), Buffer.from('ro\0\0\0\0', 'latin1'));
  const digests = ukiBootEvents({ uki: pe, phases: [] }).filter((e) => e.pcr === 11);
  t.same(
    digests.map((e) => e.description),
    [
      'EV_IPL ".linux" name',
      'EV_IPL ".linux" content',
      'EV_IPL ".osrel" name',
      'EV_IPL ".osrel" content',
      'EV_IPL ".cmdline" name',
      'EV_IPL ".cmdline" content',
    ],
  );
  t.same(digests[3]?.digest, createHash('sha256').update('ID=x\n').digest());
  t.end();
});

t.test('refusals', (t) => {
  const kernel = vector('kernel.efi');
  const twice = buildPe({
    sections: [
      { name: '.linux', data: kernel },
      { name: '.linux', data: kernel },
    ],
  }).bytes;
  const shadow = buildPe({
    sections: [
      { name: '.linux', data: kernel },
      { name: '.linuxX', data: Buffer.from('x') },
    ],
  }).bytes;
  const notPe = buildPe({ sections: [{ name: '.linux', data: Buffer.from('not a PE') }] }).bytes;
  const cases: [string, Buffer, RegExp][] = [
    ['no .linux (the bare stub)', vector('linuxx64.efi.stub'), /Expected a \.linux section in the UKI, found none/],
    ['a section twice', twice, /Expected each section name once, found "\.linux" twice/],
    ['a name the stub would confuse', shadow, /Expected no section whose name starts with \.linux, found "\.linuxX"/],
    ['.linux is no PE', notPe, /Expected the DOS signature "MZ"/],
  ];
  for (const [name, bytes, message] of cases) {
    t.throws(() => predictUkiPcrs({ uki: bytes }), { constructor: InputError, code: PE_INVALID, message }, name);
  }
  const argumentCases: [string, Parameters<typeof predictUkiPcrs>[0]][] = [
    ['negative failed boot options', { uki, failedBootOptions: -1 }],
    ['fractional failed boot options', { uki, failedBootOptions: 0.5 }],
    ['a phase with a colon', { uki, phases: ['sysinit:ready'] }],
    ['an empty phase', { uki, phases: [''] }],
    ['not a Buffer', { uki: 'uki.efi' as unknown as Buffer }],
  ];
  for (const [name, input] of argumentCases) {
    t.throws(() => predictUkiPcrs(input), { constructor: InputError, code: 'INVALID_ARGUMENT' }, name);
  }
  t.end();
});
