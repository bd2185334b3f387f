// The AK proof over the wire (Attester.ActivateCredential) end to end: real swtpms, real TLS and gRPC. A
// genuine server proves its AK; a server answering a wrong secret, a server quoting with another TPM's AK
// (relay) and a server whose EK does not chain to the client's roots are refused; the RPC checks sizes and
// rate limits per peer. Dialing 127.0.0.1 raises no DEP0123 warning.
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Metadata, status, type Server, type ServiceError } from '@grpc/grpc-js';
import { Tpm } from '../../../native/index.js';
import { VerificationError, type ConstellationError } from '../../../lib/errors.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { verifyDocument } from '../../../lib/attestation/verify/document-verifier.js';
import type { VerifiedMachineState } from '../../../lib/attestation/verify/machine-state.js';
import {
  ActivationLimiter,
  AK_ACTIVATION_FAILED,
  ATTESTED_CHANNEL_OPTIONS,
  ATLS_SERVER_NOT_ATTESTED,
  attesterService,
  connectAttested,
  createAttestedIdentity,
  serverCredentials,
  tpmCredentialActivator,
  type AttestationProof,
  type AttesterOptions,
  type DocumentCheck,
  type EvidenceIssuer,
} from '../../../lib/atls/index.js';
import { bindServer, createServer, shutdownServer } from '../../../lib/rpc/create-server.js';
import { AttesterClient, AttesterService, type ActivateCredentialResponse } from '../../../proto/gen/atls.js';
import { createLocalCa } from '../../../lib/swtpm/local-ca.js';
import { startSwtpm } from '../../../lib/swtpm/swtpm-process.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

const NO_EVENT_LOG = '/nonexistent/binary_bios_measurements';

const warnings: Error[] = [];
process.on('warning', (warning) => warnings.push(warning));

interface Machine {
  readonly tpm: Tpm;
  readonly issue: EvidenceIssuer;
  readonly activate: ReturnType<typeof tpmCredentialActivator>;
  readonly akName: Buffer;
}

async function machineOn(tcti: string): Promise<Machine> {
  const tpm = await Tpm.open(tcti);
  t.teardown(() => tpm.close());
  const ak = await tpm.createAk('ecc');
  const ek = await tpm.createEk('rsa');
  return {
    tpm,
    akName: ak.name,
    issue: async (nonce, binding) =>
      validateDocumentMessage(
        (await issueQemuVtpmEvidence({ tpm, nonce, binding, ak, eventLogPath: NO_EVENT_LOG })).document,
      ),
    activate: tpmCredentialActivator(tpm, { ak, ek }),
  };
}

const ca = await testCa();
const genuine = await machineOn((await swtpmFor(t, { withEkCert: true })).tcti);
const other = await machineOn((await swtpmFor(t, { withEkCert: true })).tcti);
const ekRoots = [await ca.rootPem()];
const ekIntermediates = [await ca.intermediatePem()];

/** The client's check: credential-activation trust with the proof connectAttested obtained. */
const activationCheck: DocumentCheck<VerifiedMachineState> = Object.assign(
  (document: AttestationDocument, qualifyingData: Buffer, proof: AttestationProof) =>
    verifyDocument(
      document,
      {
        tpm: {
          ekRoots,
          ekIntermediates,
          ak:
            proof.activation === undefined
              ? { mode: 'credential-activation' as const }
              : { mode: 'credential-activation' as const, activated: proof.activation },
        },
      },
      { qualifyingData },
      new Date(),
    ),
  { requiresAkProof: true },
);

interface Running {
  readonly server: Server;
  readonly address: string;
}

async function startServer(issue: EvidenceIssuer, options: AttesterOptions): Promise<Running> {
  const identity = await createAttestedIdentity();
  const server = createServer();
  server.addService(AttesterService, attesterService(issue, identity, options));
  const port = await bindServer(server, '127.0.0.1:0', serverCredentials(identity));
  t.teardown(() => shutdownServer(server));
  return { server, address: `127.0.0.1:${port}` };
}

async function refusedWith(
  t: Test,
  address: string,
  causeCode: string,
  verify: DocumentCheck<unknown> = activationCheck,
): Promise<ConstellationError> {
  const error = await connectAttested({ address, verify }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof VerificationError, 'VerificationError');
  t.equal((error as ConstellationError).code, ATLS_SERVER_NOT_ATTESTED);
  const cause = (error as ConstellationError).cause as ConstellationError;
  t.equal(cause.code, causeCode, cause.message);
  return cause;
}

t.test('a genuine server proves its AK: the check gets the activation and verifies under it', async (t) => {
  const running = await startServer(genuine.issue, { activate: genuine.activate });
  const connection = await connectAttested({ address: running.address, verify: activationCheck });
  t.equal(connection.verified.tpm?.akTrust, 'credential-activation');
  t.same(connection.verified.tpm?.akName, genuine.akName);
  t.same(connection.channelOptions, ATTESTED_CHANNEL_OPTIONS);
  t.same(
    warnings.filter((warning) => (warning as { code?: string }).code === 'DEP0123'),
    [],
    'no DEP0123 (IP address as TLS server name) warning',
  );
});

t.test('without the proof (proveAk: false) the same check refuses: no AK anchor', async (t) => {
  const running = await startServer(genuine.issue, { activate: genuine.activate });
  const error = await connectAttested({ address: running.address, verify: activationCheck, proveAk: false }).then(
    () => undefined,
    (caught: unknown) => caught as ConstellationError,
  );
  t.equal(error?.code, ATLS_SERVER_NOT_ATTESTED);
  t.equal((error?.cause as ConstellationError).code, 'TPM_AK_UNTRUSTED');
});

t.test('a server whose activation answers another secret is refused', async (t) => {
  const running = await startServer(genuine.issue, { activate: () => Promise.resolve(randomBytes(32)) });
  const cause = await refusedWith(t, running.address, AK_ACTIVATION_FAILED);
  t.ok(cause instanceof VerificationError);
  t.match(cause.message, /another secret/);
});

t.test('relay: evidence quoted by another TPM, activation by this one → the TPM refuses the credential', async (t) => {
  const running = await startServer(other.issue, { activate: genuine.activate });
  const cause = await refusedWith(t, running.address, AK_ACTIVATION_FAILED);
  t.match((cause.cause as ServiceError).details, /CREDENTIAL_NOT_ACTIVATED/);
  t.equal((cause.cause as ServiceError).code, status.INVALID_ARGUMENT);
});

t.test('a server that does not offer ActivateCredential is refused (UNIMPLEMENTED)', async (t) => {
  const running = await startServer(genuine.issue, {});
  const cause = await refusedWith(t, running.address, AK_ACTIVATION_FAILED);
  t.equal((cause.cause as ServiceError).code, status.UNIMPLEMENTED);
});

t.test('an EK that does not chain to the client roots: activation passes, the chain check refuses', async (t) => {
  const caDir = await mkdtemp(join(tmpdir(), 'other-ca-'));
  t.teardown(() => rm(caDir, { recursive: true, force: true }));
  const foreignSwtpm = await startSwtpm({ ca: await createLocalCa(caDir, 'foreign-manufacturer') });
  t.teardown(() => foreignSwtpm.stop());
  const foreign = await machineOn(foreignSwtpm.tcti);
  const running = await startServer(foreign.issue, { activate: foreign.activate });
  await refusedWith(t, running.address, 'TPM_EK_CHAIN_INVALID');
});

function activateDirectly(address: string, credentialBlob: Buffer, encryptedSecret: Buffer): Promise<unknown> {
  return connectAttested({ address, verify: () => Promise.resolve() }).then(
    (connection) =>
      new Promise((resolve, reject) => {
        const client = new AttesterClient(connection.target, connection.credentials, connection.channelOptions);
        client.activateCredential(
          { credentialBlob, encryptedSecret },
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (error: ServiceError | null, response: ActivateCredentialResponse) => {
            client.close();
            if (error) reject(error);
            else resolve(response);
          },
        );
      }),
  );
}

t.test('ActivateCredential checks sizes before the TPM and limits each peer', async (t) => {
  let activations = 0;
  const running = await startServer(genuine.issue, {
    activate: () => {
      activations += 1;
      return Promise.resolve(Buffer.alloc(32));
    },
    limiter: new ActivationLimiter({ ratePerSecond: 0.001, burst: 2, maxInFlight: 4, maxPeers: 8 }),
  });
  for (const [blob, secret, what] of [
    [Buffer.alloc(0), Buffer.alloc(256), 'empty credential'],
    [Buffer.alloc(133), Buffer.alloc(256), 'credential above 132 bytes'],
    [Buffer.alloc(68), Buffer.alloc(513), 'secret above 512 bytes'],
  ] as const) {
    await t.rejects(activateDirectly(running.address, blob, secret), { code: status.INVALID_ARGUMENT }, what);
  }
  t.equal(activations, 0, 'malformed requests never reach the TPM');
  await activateDirectly(running.address, Buffer.alloc(68), Buffer.alloc(256));
  await activateDirectly(running.address, Buffer.alloc(68), Buffer.alloc(256));
  await t.rejects(activateDirectly(running.address, Buffer.alloc(68), Buffer.alloc(256)), {
    code: status.RESOURCE_EXHAUSTED,
    details: /^RATE_LIMITED: /,
  });
  t.equal(activations, 2);
});

t.test('pinnedCredentials with the fixed server name still refuse another key', async (t) => {
  const first = await startServer(genuine.issue, { activate: genuine.activate });
  const connection = await connectAttested({ address: first.address, verify: activationCheck });
  const second = await startServer(genuine.issue, { activate: genuine.activate });
  // The pin of the first server's key, dialed at the second server.
  const client = new AttesterClient(second.address, connection.credentials, connection.channelOptions);
  t.teardown(() => {
    client.close();
  });
  const error = await new Promise<ServiceError | null>((resolve) => {
    client.attest({ nonce: randomBytes(32) }, new Metadata(), { deadline: Date.now() + 10_000 }, (caught) => {
      resolve(caught);
    });
  });
  t.equal(error?.code, status.UNAVAILABLE);
});
