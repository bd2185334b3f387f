// JoinServices of a "cluster" and booted nodes for the node-side tests (lib/join): each service runs in this
// process on 127.0.0.1:0 with its own swtpm, booted with the local image (lib/boot) and PCR 15 extended like
// an initialised control-plane node, an Attester that proves its AK by activation, and the real join
// protocol. Variants make it a service of another cluster, an uninitialised one, another image, a relay or
// one with a foreign EK manufacturer.
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tpm } from '../../../native/tpm.js';
import {
  attesterService,
  ChallengeBook,
  createAttestedIdentity,
  sealTo,
  serverCredentials,
  tpmCredentialActivator,
  type CredentialActivator,
} from '../../../lib/atls/index.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { localImage, simulateBoot } from '../../../lib/boot/index.js';
import {
  clusterMeasurementDigest,
  deriveClusterId,
  deriveDataKey,
  deriveMeasurementSecret,
  adminSigningKey,
  generateMasterSecret,
  type MasterSecret,
} from '../../../lib/crypto/index.js';
import { bindServer, createServer, shutdownServer } from '../../../lib/rpc/index.js';
import { createLocalCa, type LocalCa } from '../../../lib/swtpm/local-ca.js';
import { startSwtpm } from '../../../lib/swtpm/swtpm-process.js';
import { createJoinProtocol } from '../../../agents/joinservice/join-protocol.js';
import { parseJoinPolicy } from '../../../agents/joinservice/join-policy.js';
import { PolicyStore } from '../../../agents/joinservice/policy-store.js';
import { joinServiceHandlers } from '../../../agents/joinservice/server.js';
import type { AuditEntry } from '../../../agents/joinservice/audit.js';
import { AttesterService } from '../../../proto/gen/atls.js';
import { JoinServiceService } from '../../../proto/gen/join.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

export const NO_EVENT_LOG = '/nonexistent/binary_bios_measurements';
export const SHARED_PCRS = [4, 8, 9, 11];

export interface ClusterService {
  readonly address: string;
  readonly masterSecret: MasterSecret;
  readonly measurementSalt: Buffer;
  readonly clusterId: Buffer;
  readonly audit: AuditEntry[];
  readonly tpm: Tpm;
}

export interface ServiceVariant {
  /** What PCR 15 holds: this cluster's measurement (default), nothing, or another cluster id's. */
  readonly pcr15?: 'own-cluster' | 'zero' | Buffer;
  readonly kernelCommandLine?: string;
  /** Activate with this function instead of the service's own TPM (a relay). */
  readonly activate?: CredentialActivator;
  /** EK manufacturer CA; default the test CA the nodes trust. */
  readonly ca?: LocalCa;
}

/** A CA the nodes do NOT trust, removed in teardown. */
export async function foreignCa(t: Test): Promise<LocalCa> {
  const dir = await mkdtemp(join(tmpdir(), 'foreign-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return createLocalCa(dir, 'foreign-manufacturer');
}

async function bootedTpm(t: Test, ca: LocalCa | undefined, kernelCommandLine?: string): Promise<Tpm> {
  const swtpm = ca === undefined ? await swtpmFor(t, { withEkCert: true }) : await startSwtpm({ ca });
  if (ca !== undefined) t.teardown(() => swtpm.stop());
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  await simulateBoot(tpm, localImage(kernelCommandLine === undefined ? {} : { kernelCommandLine }));
  return tpm;
}

export async function startClusterService(t: Test, variant: ServiceVariant = {}): Promise<ClusterService> {
  const tpm = await bootedTpm(t, variant.ca, variant.kernelCommandLine);
  const masterSecret = generateMasterSecret();
  const measurementSalt = randomBytes(32);
  const clusterId = deriveClusterId(deriveMeasurementSecret(masterSecret), measurementSalt);
  const pcr15 = variant.pcr15 ?? 'own-cluster';
  if (pcr15 !== 'zero') {
    await tpm.pcrExtend(15, { sha256: clusterMeasurementDigest(pcr15 === 'own-cluster' ? clusterId : pcr15) });
  }
  const ca = await testCa();
  const audit: AuditEntry[] = [];
  const protocol = createJoinProtocol({
    policies: new PolicyStore(parseJoinPolicy({}, 1n), adminSigningKey(masterSecret).publicKey),
    challenges: new ChallengeBook({ key: randomBytes(32), ttlMs: 60_000 }),
    seal: sealTo,
    keys: { getDataKey: (id, length) => Promise.resolve(deriveDataKey(masterSecret, id, length)) },
    cluster: {
      measurementSalt,
      apiServerEndpoint: '127.42.0.11:6443',
      token: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: `sha256:${'ab'.repeat(32)}`,
      controlPlane: { files: [] },
    },
    ekTrust: { ekRoots: [await ca.rootPem()], ekIntermediates: [await ca.intermediatePem()] },
    audit: (entry) => audit.push(entry),
    now: () => new Date(),
  });
  const ak = await tpm.createAk('ecc');
  const ek = await tpm.createEk('rsa');
  const identity = await createAttestedIdentity();
  const server = createServer();
  server.addService(JoinServiceService, joinServiceHandlers(protocol));
  server.addService(
    AttesterService,
    attesterService(
      async (nonce, binding) =>
        validateDocumentMessage(
          (await issueQemuVtpmEvidence({ tpm, nonce, binding, ak, eventLogPath: NO_EVENT_LOG })).document,
        ),
      identity,
      { activate: variant.activate ?? tpmCredentialActivator(tpm, { ak, ek }) },
    ),
  );
  const port = await bindServer(server, '127.0.0.1:0', serverCredentials(identity));
  t.teardown(() => shutdownServer(server, 1000));
  return { address: `127.0.0.1:${port}`, masterSecret, measurementSalt, clusterId, audit, tpm };
}

export interface BootedNode {
  readonly tpm: Tpm;
  /** The node's own boot PCRs (sha256), as the Bootstrapper reads them before joining. */
  readonly ownPcrs: Record<number, Buffer>;
  readonly ekRoots: string[];
  readonly ekIntermediates: string[];
}

export async function bootedNode(t: Test, kernelCommandLine?: string): Promise<BootedNode> {
  const tpm = await bootedTpm(t, undefined, kernelCommandLine);
  const { values } = await tpm.pcrRead({ sha256: SHARED_PCRS });
  const ca = await testCa();
  return {
    tpm,
    ownPcrs: { ...(values.sha256 ?? {}) },
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
  };
}

/** A relay's activation: another machine's TPM (its own AK and EK) answers. */
export async function otherTpmActivator(t: Test): Promise<CredentialActivator> {
  const tpm = await bootedTpm(t, undefined);
  return tpmCredentialActivator(tpm, { ak: await tpm.createAk('ecc'), ek: await tpm.createEk('rsa') });
}
