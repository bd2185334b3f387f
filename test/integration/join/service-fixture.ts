// Builds a JoinService in this process (real gRPC server on 127.0.0.1:0, its own swtpm for the Attester)
// and the node-side trust that goes with it. Process-level tests use agents/joinservice/main.ts instead.
import type { Test } from 'tap';
import { randomBytes, type KeyObject } from 'node:crypto';
import { Tpm } from '../../../native/tpm.js';
import { ChallengeBook, createAttestedIdentity, sealTo, tpmCredentialActivator } from '../../../lib/atls/index.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { adminSigningKey, deriveDataKey, generateMasterSecret, type MasterSecret } from '../../../lib/crypto/index.js';
import { joinServiceCheck } from '../../../lib/join/service-check.js';
import type { DocumentCheck } from '../../../lib/atls/index.js';
import { createJoinProtocol } from '../../../agents/joinservice/join-protocol.js';
import { parseJoinPolicy } from '../../../agents/joinservice/join-policy.js';
import { PolicyStore } from '../../../agents/joinservice/policy-store.js';
import { startJoinServer, type RunningJoinServer } from '../../../agents/joinservice/server.js';
import type { AuditEntry } from '../../../agents/joinservice/audit.js';
import type { ClusterMaterial } from '../../../agents/joinservice/ports.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

export const NO_EVENT_LOG = '/nonexistent/binary_bios_measurements';

export interface ServiceFixture {
  readonly address: string;
  readonly server: RunningJoinServer;
  readonly masterSecret: MasterSecret;
  readonly adminPrivateKey: KeyObject;
  readonly cluster: ClusterMaterial;
  readonly audit: AuditEntry[];
  readonly verifyService: DocumentCheck;
  readonly ekRoots: readonly string[];
  readonly ekIntermediates: readonly string[];
}

export async function startServiceFixture(
  t: Test,
  policyJson: unknown = {},
  options: { readonly serviceAkNames?: readonly string[] } = {},
): Promise<ServiceFixture> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  // The CA makes its keys on first provisioning, so its PEMs exist only after a swtpm got an EK certificate.
  const ca = await testCa();
  const ekRoots = [await ca.rootPem()];
  const ekIntermediates = [await ca.intermediatePem()];
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const serviceAk = await tpm.createAk('ecc');
  const serviceEk = await tpm.createEk('rsa');
  const masterSecret = generateMasterSecret();
  const admin = adminSigningKey(masterSecret);
  const audit: AuditEntry[] = [];
  const cluster: ClusterMaterial = {
    measurementSalt: randomBytes(32),
    apiServerEndpoint: '10.0.0.1:6443',
    token: 'abcdef.0123456789abcdef',
    discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
    controlPlane: { files: [{ name: 'pki/ca.key', data: Buffer.from('control-plane CA key (test)') }] },
  };
  const protocol = createJoinProtocol({
    policies: new PolicyStore(parseJoinPolicy(policyJson, 1n), admin.publicKey),
    challenges: new ChallengeBook({ key: randomBytes(32), ttlMs: 60_000 }),
    seal: sealTo,
    keys: { getDataKey: (id, length) => Promise.resolve(deriveDataKey(masterSecret, id, length)) },
    cluster,
    ekTrust: { ekRoots, ekIntermediates },
    audit: (entry) => audit.push(entry),
    now: () => new Date(),
  });
  const identity = await createAttestedIdentity();
  const server = await startJoinServer({
    protocol,
    identity,
    address: '127.0.0.1:0',
    // Lets a node prove the service's AK (Attester.ActivateCredential), as the production host does.
    activate: tpmCredentialActivator(tpm, { ak: serviceAk, ek: serviceEk }),
    issueEvidence: async (nonce, binding) => {
      const { document } = await issueQemuVtpmEvidence({
        tpm,
        nonce,
        binding,
        ak: serviceAk,
        eventLogPath: NO_EVENT_LOG,
      });
      return validateDocumentMessage(document);
    },
  });
  t.teardown(() => server.close(1000));
  const verifyService = joinServiceCheck({
    policy: parsePolicy({}),
    ekRoots,
    ekIntermediates,
    serviceAkNames: options.serviceAkNames ?? [serviceAk.name.toString('hex')],
  });
  return {
    address: `127.0.0.1:${server.port}`,
    server,
    masterSecret,
    adminPrivateKey: admin.privateKey,
    cluster,
    audit,
    verifyService,
    ekRoots,
    ekIntermediates,
  };
}

export async function nodeTpm(t: Test): Promise<Tpm> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  return tpm;
}
