// The VerificationService host on a shared swtpm after a simulated boot, over real sockets: documents fetched over
// gRPC verify with the AK proven by ActivateCredential (MakeCredential to the document's EK for its AK name) and
// pass the image policy; a credential for another AK name is refused with a clear status; sizes and the budget are
// enforced; the host never closes the shared Tpm and leaves no transient object behind.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { proveAttestedAk } from '../../../lib/atls/index.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import { evaluatePolicy } from '../../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { verifyDocument } from '../../../lib/attestation/verify/document-verifier.js';
import { imagePolicy, localImage, simulateBoot, withClusterMeasurement } from '../../../lib/boot/index.js';
import { localNodeHost } from '../../../lib/cluster/ports.js';
import { createLogger } from '../../../lib/log/index.js';
import { makeCredential, parsePublic } from '../../../lib/tpm/index.js';
import { Tpm } from '../../../native/tpm.js';
import {
  VerificationServiceClient,
  type ActivateCredentialRequest,
  type ActivateCredentialResponse,
  type GetAttestationResponse,
} from '../../../proto/gen/verify.js';
import { PURPOSE_LABEL } from '../../../agents/verification/purpose.js';
import {
  startVerificationService,
  type VerificationServiceOptions,
} from '../../../agents/verification/verification-host.js';
import type { RequestLimits } from '../../../agents/verification/request-limiter.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

const logger = createLogger({ name: 'verification-host-test', level: 'error', transport: 'stderr-json' });
const image = localImage();

async function bootedTpm(t: Test): Promise<{ tpm: Tpm; eventLogPath: string }> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const dir = await mkdtemp(join(tmpdir(), 'verification-host-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const eventLogPath = join(dir, 'binary_bios_measurements');
  await writeFile(eventLogPath, await simulateBoot(tpm, image));
  return { tpm, eventLogPath };
}

interface Started {
  readonly client: VerificationServiceClient;
  readonly close: () => Promise<void>;
  readonly akName: string;
  readonly httpAddress: string;
}

async function started(
  t: Test,
  tpm: Tpm,
  eventLogPath: string,
  extra: Partial<Pick<VerificationServiceOptions, 'keys' | 'limits'>> = {},
): Promise<Started> {
  const host = localNodeHost(0);
  const service = await startVerificationService({
    tpm,
    logger,
    grpcListen: { host, port: 0 },
    httpListen: { host, port: 0 },
    grpcTransport: 'plaintext',
    eventLogPath,
    ...extra,
  });
  t.teardown(() => service.close());
  t.match(service.grpcAddress, /^127\.42\.0\.10:\d+$/);
  const client = new VerificationServiceClient(service.grpcAddress, credentials.createInsecure());
  t.teardown(() => {
    client.close();
  });
  return { client, close: () => service.close(), akName: service.akName, httpAddress: service.httpAddress };
}

function getAttestation(client: VerificationServiceClient, nonce: Buffer): Promise<AttestationDocument> {
  return new Promise((resolve, reject) => {
    client.getAttestation({ nonce }, (error: ServiceError | null, response: GetAttestationResponse) => {
      if (error !== null) reject(error);
      else if (response.document === undefined) reject(new Error('expected a document'));
      else resolve(validateDocumentMessage(response.document));
    });
  });
}

function activate(client: VerificationServiceClient, request: ActivateCredentialRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.activateCredential(request, (error: ServiceError | null, response: ActivateCredentialResponse) => {
      if (error !== null) reject(error);
      else resolve(response.secret);
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as ServiceError,
  );
}

t.test('documents verify with the AK proven by ActivateCredential and pass the image policy', async (t) => {
  const { tpm, eventLogPath } = await bootedTpm(t);
  const { client, akName } = await started(t, tpm, eventLogPath);
  const nonce = randomBytes(32);
  const document = await getAttestation(client, nonce);
  const activated = await proveAttestedAk(document, (credentialBlob, encryptedSecret) =>
    activate(client, { credentialBlob, encryptedSecret }),
  );
  t.equal(Buffer.from(activated.akName).toString('hex'), akName, 'the activation is for the announced AK');
  const ca = await testCa();
  const state = await verifyDocument(
    document,
    {
      tpm: {
        ekRoots: [await ca.rootPem()],
        ekIntermediates: [await ca.intermediatePem()],
        ak: { mode: 'credential-activation', activated },
      },
    },
    { nonce, binding: PURPOSE_LABEL },
    new Date(),
  );
  t.equal(state.tpm?.akTrust, 'credential-activation');
  const policy = parsePolicy(withClusterMeasurement(imagePolicy(image), Buffer.alloc(32)));
  t.same(evaluatePolicy(state, policy).violations, []);
  // A second activation works too: the EK is made per activation and flushed again.
  await proveAttestedAk(document, (credentialBlob, encryptedSecret) =>
    activate(client, { credentialBlob, encryptedSecret }),
  );
});

t.test('a credential made for another AK name is refused: INVALID_ARGUMENT CREDENTIAL_NOT_ACTIVATED', async (t) => {
  const { tpm, eventLogPath } = await bootedTpm(t);
  const { client } = await started(t, tpm, eventLogPath);
  const ek = await tpm.createEk('rsa');
  t.teardown(() => tpm.flush(ek));
  const otherAkName = Buffer.concat([Buffer.from('000b', 'hex'), randomBytes(32)]);
  const made = makeCredential(parsePublic(ek.public), otherAkName, randomBytes(32));
  const error = await rejection(
    activate(client, { credentialBlob: made.credentialBlob, encryptedSecret: made.secret }),
  );
  t.equal(error.code, status.INVALID_ARGUMENT);
  t.match(error.details, /^CREDENTIAL_NOT_ACTIVATED: Expected a credential made for this node's EK and attesting AK/);
});

t.test('sizes are checked before the TPM or the budget; the budget is shared with GetAttestation', async (t) => {
  const { tpm, eventLogPath } = await bootedTpm(t);
  const limits: RequestLimits = {
    maxConcurrentPerClient: 4,
    maxConcurrentTotal: 8,
    ratePerSecond: 0.001,
    burst: 2,
    maxClients: 8,
  };
  const { client } = await started(t, tpm, eventLogPath, { limits });
  for (const request of [
    { credentialBlob: Buffer.alloc(133), encryptedSecret: Buffer.alloc(256) },
    { credentialBlob: Buffer.alloc(0), encryptedSecret: Buffer.alloc(256) },
    { credentialBlob: Buffer.alloc(66), encryptedSecret: Buffer.alloc(513) },
  ]) {
    const error = await rejection(activate(client, request));
    t.equal(error.code, status.INVALID_ARGUMENT);
    t.match(error.details, /^INVALID_ARGUMENT: Expected 1 to \d+ bytes for (credential_blob|encrypted_secret)/);
  }
  await getAttestation(client, randomBytes(32));
  // Garbage of the right size costs budget and TPM time: the TPM refuses it.
  const garbage = { credentialBlob: randomBytes(66), encryptedSecret: randomBytes(256) };
  t.equal((await rejection(activate(client, garbage))).code, status.INVALID_ARGUMENT);
  const limited = await rejection(activate(client, garbage));
  t.equal(limited.code, status.RESOURCE_EXHAUSTED);
  t.match(limited.details, /^RATE_LIMITED: /);
  t.equal((await rejection(getAttestation(client, randomBytes(32)))).code, status.RESOURCE_EXHAUSTED);
});

t.test('the shared Tpm stays open and every transient slot is free after close', async (t) => {
  const { tpm, eventLogPath } = await bootedTpm(t);
  const { client, close } = await started(t, tpm, eventLogPath);
  const document = await getAttestation(client, randomBytes(32));
  await proveAttestedAk(document, (credentialBlob, encryptedSecret) =>
    activate(client, { credentialBlob, encryptedSecret }),
  );
  await close();
  t.notOk(tpm.closed, 'the host did not close the shared Tpm');
  // swtpm has 3 transient slots: three fresh keys load only if the host flushed its AK and every EK it made.
  const keys = [await tpm.createAk('ecc'), await tpm.createAk('ecc'), await tpm.createEk('rsa')];
  for (const key of keys) await tpm.flush(key);
});

t.test('lent keys: the host quotes and activates with them and leaves them loaded', async (t) => {
  const { tpm, eventLogPath } = await bootedTpm(t);
  const ak = await tpm.createAk('ecc');
  const ek = await tpm.createEk('rsa');
  t.teardown(async () => {
    await tpm.flush(ak);
    await tpm.flush(ek);
  });
  const { client, close, akName } = await started(t, tpm, eventLogPath, { keys: { ak, ek } });
  t.equal(akName, ak.name.toString('hex'));
  const document = await getAttestation(client, randomBytes(32));
  await proveAttestedAk(document, (credentialBlob, encryptedSecret) =>
    activate(client, { credentialBlob, encryptedSecret }),
  );
  await close();
  await tpm.quote(ak, { sha256: [0] }, Buffer.from('the lent AK is still loaded'));
});
