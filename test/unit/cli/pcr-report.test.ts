// The PCR view of `constellation verify`: rows for quoted and pinned PCRs, mismatches explained by the
// events of that PCR (or a note why there are none), warn-only rules marked, text and JSON rendering.
import t from 'tap';
import type { EventLog, TcgEvent } from '../../../lib/attestation/eventlog/event-log.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { markVerified, type VerifiedMachineState } from '../../../lib/attestation/verify/machine-state.js';
import { explainMismatches, pcrRows } from '../../../cli/cluster/pcr-report.js';
import { renderVerifyJson, renderVerifyText } from '../../../cli/cluster/verify-output.js';
import type { NodeVerification } from '../../../cli/cluster/node-verification.js';

const hex = (byte: number): string => Buffer.alloc(32, byte).toString('hex');

function event(seq: number, pcr: number, text: string, digest: number): TcgEvent {
  return {
    seq,
    offset: 0,
    pcr,
    type: 0xd,
    typeName: 'EV_IPL',
    digests: { sha256: Buffer.alloc(32, digest) },
    data: Buffer.from(text),
    content: { kind: 'ipl', text, encoding: 'utf8' },
  };
}

function stateWith(pcrs: Record<number, number>, log: EventLog | undefined): VerifiedMachineState {
  const sha256 = Object.fromEntries(Object.entries(pcrs).map(([i, b]) => [i, Buffer.alloc(32, b)]));
  return markVerified({
    variant: 'qemu-vtpm',
    tpm: markVerified({
      pcrs: { sha256 },
      eventLog: log,
      events: log?.events ?? [],
      secureBoot: undefined,
      ek: undefined,
      akName: Buffer.alloc(34),
      akTrust: 'credential-activation' as const,
      notes: [],
    }),
    snp: undefined,
    tdx: undefined,
    ccEventLog: undefined,
    azureRuntimeClaims: undefined,
  });
}

const log: EventLog = {
  format: 'crypto-agile',
  registers: 'tpm-pcr',
  banks: ['sha256'],
  algorithms: [],
  events: [event(1, 8, 'kernel_cmdline: console=ttyS0 debug', 7), event(2, 4, 'boot loader', 9)],
};

const policy = parsePolicy({
  tpm: {
    pcrs: {
      sha256: {
        '4': { expected: [hex(4)] },
        '8': { expected: [hex(8), hex(88)] },
        '9': { expected: [hex(1)], mode: 'warn' },
        '15': { expected: [hex(15)] },
      },
    },
  },
});

t.test('rows: quoted and pinned PCRs with expected, actual and ok', (t) => {
  const rows = pcrRows(stateWith({ 4: 4, 8: 7, 9: 2, 15: 0, 16: 0 }, log), policy);
  t.same(
    rows.map((r) => [r.index, r.ok, r.mode]),
    [
      [4, true, 'enforce'],
      [8, false, 'enforce'],
      [9, false, 'warn'],
      [15, false, 'enforce'],
      [16, undefined, undefined],
    ],
  );
  t.same(rows[1]?.expected, [hex(8), hex(88)], 'every accepted value');
  t.end();
});

t.test('mismatches: the events of that PCR, or a note why there are none', (t) => {
  const state = stateWith({ 4: 4, 8: 7, 9: 2, 15: 0 }, log);
  const explanations = explainMismatches(state, pcrRows(state, policy));
  const pcr8 = explanations.find((e) => e.index === 8);
  t.same(pcr8?.events, [
    { seq: 1, type: 'EV_IPL', description: 'kernel_cmdline: console=ttyS0 debug', digest: hex(7) },
  ]);
  t.match(explanations.find((e) => e.index === 15)?.note, /cluster measurement/);
  t.match(explanations.find((e) => e.index === 9)?.note, /no events for this PCR/);
  const noLog = stateWith({ 8: 7 }, undefined);
  t.match(explainMismatches(noLog, pcrRows(noLog, policy))[0]?.note, /no event log/);
  t.end();
});

t.test('rendering: text table with explanations, JSON with full values', (t) => {
  const state = stateWith({ 4: 4, 8: 7 }, log);
  const rows = pcrRows(state, policy);
  const node: NodeVerification = {
    node: { name: 'worker-1', role: 'worker', address: '127.42.0.12' },
    endpoint: '127.42.0.12:9090',
    status: 'policy-rejected',
    exitCode: 4,
    pcrs: rows,
    mismatches: explainMismatches(state, rows),
    violations: ['PCR[8] (sha256) expected 08080808…, got 07070707…'],
    warnings: [],
  };
  const report = { clusterId: hex(1), expectedPcr15: hex(15), nodes: [node], exitCode: 4 as const };
  const text = renderVerifyText(report);
  t.match(text, /node worker-1 \(127\.42\.0\.12:9090\): policy-rejected/);
  t.match(text, /8 +sha256 +0808080808080808…,5858585858585858… +0707070707070707… +NO/);
  t.match(text, /#1 EV_IPL 0707070707070707… kernel_cmdline: console=ttyS0 debug/);
  t.match(text, /9 +sha256 +0101010101010101… +\(not quoted\) +NO \(warn\)/, 'warn-only rules marked');
  t.match(text, /0 of 1 node\(s\) verified/);
  const json = JSON.parse(renderVerifyJson(report)) as { nodes: { pcrs: { actual: string }[] }[]; status: string };
  t.equal(json.status, 'failed');
  t.equal(json.nodes[0]?.pcrs[0]?.actual, hex(4), 'full hex in JSON');
  t.end();
});
