// joinServiceCheck's own arguments are validated when it is built; checkServiceCluster compares PCR 15 with
// the ticket's cluster measurement (the verified-state path end to end: node-mutual-join.test.ts).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { InputError, VerificationError } from '../../../lib/errors.js';
import { clusterMeasurement } from '../../../lib/crypto/index.js';
import type { VerifiedMachineState } from '../../../lib/attestation/verify/machine-state.js';
import { joinServiceCheck, DEFAULT_SHARED_BOOT_PCRS } from '../../../lib/join/service-check.js';
import { checkServiceCluster, JOIN_SERVICE_WRONG_CLUSTER } from '../../../lib/join/cluster-check.js';
import { throwsCode } from '../attestation/verify/expect-error.js';

const ownPcrs = Object.fromEntries(DEFAULT_SHARED_BOOT_PCRS.map((index) => [index, randomBytes(32)]));

t.test('the mutual check needs the node’s own value of every compared boot PCR, never PCR 15', (t) => {
  const base = { ekRoots: ['-----BEGIN CERTIFICATE-----'], ownPcrs };
  const check = joinServiceCheck(base);
  t.equal(check.requiresAkProof, true, 'connectAttested runs the activation round for it');
  throwsCode(
    t,
    () => joinServiceCheck({ ...base, ownPcrs: { 4: randomBytes(32) } }),
    InputError,
    'INVALID_ARGUMENT',
    /ownPcrs\[8\]/,
  );
  throwsCode(
    t,
    () => joinServiceCheck({ ...base, ownPcrs: { ...ownPcrs, 9: randomBytes(20) } }),
    InputError,
    'INVALID_ARGUMENT',
  );
  throwsCode(t, () => joinServiceCheck({ ...base, pcrs: [4, 15] }), InputError, 'INVALID_ARGUMENT', /other than 15/);
  throwsCode(t, () => joinServiceCheck({ ...base, pcrs: [24] }), InputError, 'INVALID_ARGUMENT');
  t.end();
});

t.test('a partially logged PCR (default the image’s 11) must be among the compared PCRs', (t) => {
  const base = { ekRoots: ['-----BEGIN CERTIFICATE-----'], ownPcrs };
  throwsCode(
    t,
    () => joinServiceCheck({ ...base, pcrs: [4, 8, 9] }),
    InputError,
    'INVALID_ARGUMENT',
    /Expected PCRs that are also compared \(in pcrs\) for partiallyLoggedPcrs but received/,
  );
  throwsCode(
    t,
    () => joinServiceCheck({ ...base, partiallyLoggedPcrs: [11, 12] }),
    InputError,
    'INVALID_ARGUMENT',
    /partiallyLoggedPcrs/,
  );
  t.doesNotThrow(() => joinServiceCheck({ ...base, pcrs: [4, 8, 9], partiallyLoggedPcrs: [] }));
  t.end();
});

function stateWithPcr15(value: Buffer | undefined): VerifiedMachineState {
  return { tpm: { pcrs: { sha256: value === undefined ? {} : { 15: value } } } } as unknown as VerifiedMachineState;
}

t.test('checkServiceCluster: PCR 15 must be the ticket cluster’s measurement', (t) => {
  const clusterId = randomBytes(32);
  checkServiceCluster(stateWithPcr15(clusterMeasurement(clusterId)), clusterId);
  throwsCode(
    t,
    () => {
      checkServiceCluster(stateWithPcr15(clusterMeasurement(randomBytes(32))), clusterId);
    },
    VerificationError,
    JOIN_SERVICE_WRONG_CLUSTER,
    /another cluster/,
  );
  throwsCode(
    t,
    () => {
      checkServiceCluster(stateWithPcr15(Buffer.alloc(32)), clusterId);
    },
    VerificationError,
    JOIN_SERVICE_WRONG_CLUSTER,
  );
  throwsCode(
    t,
    () => {
      checkServiceCluster(stateWithPcr15(undefined), clusterId);
    },
    VerificationError,
    JOIN_SERVICE_WRONG_CLUSTER,
    /found none/,
  );
  t.end();
});
