// The verification agent as a process against a real swtpm with EK certificates: documents fetched over gRPC
// (plaintext on loopback and TLS) and HTTP verify with verifyDocument, bound to the caller's nonce and the
// service's purpose label. Trust decision for the AK: the agent prints its AK name at start and the test pins it
// ('pinned-ak-names'); the EK certificate still has to chain to the local CA. (Credential activation needs the
// TPM's cooperation, which the join flow provides; an offline verifier pins the name it learned at join.)
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { documentFromJson, validateDocumentMessage } from '../../../lib/attestation/document/index.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import { verifyDocument, type AttestationTrust } from '../../../lib/attestation/verify/document-verifier.js';
import { VerificationError } from '../../../lib/errors.js';
import { Tpm } from '../../../native/index.js';
import { connectAttested, proveAttestedAk } from '../../../lib/atls/index.js';
import { VerificationServiceClient, type GetAttestationResponse } from '../../../proto/gen/verify.js';
import { PURPOSE_LABEL } from '../../../agents/verification/purpose.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

// A path that never exists: documents carry no event log (the swtpm has none), which verification tolerates.
const MISSING_EVENT_LOG = join(tmpdir(), `constellation-no-event-log-${process.pid}`, 'none');

async function trustFor(agent: AgentProcess): Promise<AttestationTrust> {
  const ca = await testCa();
  return {
    tpm: {
      ekRoots: [await ca.rootPem()],
      ekIntermediates: [await ca.intermediatePem()],
      ak: { mode: 'pinned-ak-names', akNames: [agent.akName] },
    },
  };
}

function grpcClient(t: Test, address: string, creds = credentials.createInsecure()): VerificationServiceClient {
  const client = new VerificationServiceClient(address, creds);
  t.teardown(() => {
    client.close();
  });
  return client;
}

function getAttestation(client: VerificationServiceClient, nonce: Buffer): Promise<GetAttestationResponse> {
  return new Promise((resolve, reject) => {
    client.getAttestation({ nonce }, (error: ServiceError | null, response: GetAttestationResponse) => {
      if (error === null) resolve(response);
      else reject(error);
    });
  });
}

async function viaGrpc(client: VerificationServiceClient, nonce: Buffer): Promise<AttestationDocument> {
  const { document } = await getAttestation(client, nonce);
  if (document === undefined) throw new Error('expected a document in the response, found none');
  return validateDocumentMessage(document);
}

async function viaHttp(address: string, nonce: Buffer): Promise<AttestationDocument> {
  const response = await fetch(`http://${address}/v1/attestation?nonce=${nonce.toString('hex')}`);
  if (response.status !== 200) throw new Error(`expected HTTP 200, found ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { document: unknown };
  return documentFromJson(body.document);
}

async function startOnSwtpm(t: Test, extra: readonly string[] = []) {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const agent = await startAgentProcess(t, [
    '--tcti',
    swtpm.tcti,
    '--event-log',
    MISSING_EVENT_LOG,
    '--http-listen',
    '127.0.0.1:0',
    ...extra,
  ]);
  return { swtpm, agent, trust: await trustFor(agent) };
}

t.test('plaintext gRPC and HTTP documents verify; wrong purpose and bad nonces fail; SIGTERM exits 0', async (t) => {
  const { swtpm, agent, trust } = await startOnSwtpm(t, [
    '--grpc-listen',
    '127.0.0.1:0',
    '--grpc-transport',
    'plaintext',
  ]);
  t.match(agent.akName, /^000b[0-9a-f]{64}$/, 'the AK name is printed (sha256 name)');
  const client = grpcClient(t, agent.grpc);

  const nonce = randomBytes(32);
  const fromGrpc = await viaGrpc(client, nonce);
  const state = await verifyDocument(fromGrpc, trust, { nonce, binding: PURPOSE_LABEL }, new Date());
  t.ok(state, 'gRPC document verifies against nonce + purpose label');

  const httpNonce = randomBytes(16);
  const fromHttp = await viaHttp(agent.http, httpNonce);
  t.ok(await verifyDocument(fromHttp, trust, { nonce: httpNonce, binding: PURPOSE_LABEL }, new Date()));

  // Another purpose (a join's channel key), another nonce: both must fail.
  await t.rejects(
    verifyDocument(fromGrpc, trust, { nonce, binding: randomBytes(91) }, new Date()),
    VerificationError,
    'a verifier expecting another binding rejects the document',
  );
  await t.rejects(
    verifyDocument(fromGrpc, trust, { nonce: randomBytes(32), binding: PURPOSE_LABEL }, new Date()),
    VerificationError,
  );
  await t.rejects(
    verifyDocument(
      fromGrpc,
      { tpm: { ...trust.tpm!, ak: { mode: 'pinned-ak-names', akNames: ['000b' + '00'.repeat(32)] } } },
      { nonce, binding: PURPOSE_LABEL },
      new Date(),
    ),
    { constructor: VerificationError, code: 'TPM_AK_UNTRUSTED' },
    'another pinned AK name is rejected',
  );

  for (const bad of [randomBytes(15), randomBytes(65), Buffer.alloc(0)]) {
    await t.rejects(getAttestation(client, bad), {
      code: status.INVALID_ARGUMENT,
      details: /^INVALID_ARGUMENT: Expected 16\.\.64 bytes/,
    });
  }
  for (const query of [
    'nonce=' + '00'.repeat(15),
    'nonce=' + '00'.repeat(65),
    'nonce=' + 'zz'.repeat(16),
    'nonce=' + '0'.repeat(33),
    'nonce=',
    'nonce=' + '00'.repeat(16) + '&x=1',
    'x=1',
    '',
  ]) {
    const response = await fetch(`http://${agent.http}/v1/attestation?${query}`);
    t.equal(response.status, 400, `?${query} → 400`);
    const body = (await response.json()) as { error: string; message: string };
    t.equal(body.error, 'INVALID_ARGUMENT');
    t.match(body.message, /^Expected .* but received /);
  }
  t.equal((await fetch(`http://${agent.http}/v1/other`)).status, 404);
  const posted = await fetch(`http://${agent.http}/v1/attestation?nonce=${'00'.repeat(16)}`, { method: 'POST' });
  t.equal(posted.status, 405);
  t.equal(posted.headers.get('allow'), 'GET');
  t.equal((await fetch(`http://${agent.http}/v1/attestation?nonce=${'0'.repeat(600)}`)).status, 414);

  client.close();
  t.equal(await agent.stop(), 0, 'SIGTERM exits 0');
  t.match(agent.stderr(), /"msg":"shutting down"/);
  const tpm = await Tpm.open(swtpm.tcti);
  t.equal((await tpm.getRandom(8)).length, 8, 'the swtpm is free again after the agent exits');
  await tpm.close();
});

t.test('aTLS-attested gRPC channel; 20 parallel requests over it and HTTP all verify', async (t) => {
  const { agent, trust } = await startOnSwtpm(t, ['--grpc-listen', '127.0.0.1:0', '--grpc-transport', 'tls']);
  // The TLS identity is ephemeral: attest the channel first (lib/atls: Attest over the pinned certificate, evidence
  // bound to its SPKI), then call the service over the pinned credentials.
  const connection = await connectAttested({
    address: agent.grpc,
    verify: async (doc, qualifyingData) => {
      await verifyDocument(doc, trust, { qualifyingData }, new Date());
    },
  });
  const client = grpcClient(t, connection.target, connection.credentials);
  await t.rejects(
    connectAttested({
      address: agent.grpc,
      verify: async (doc) => {
        // A verifier that expects the VerificationService purpose instead of the channel key must refuse.
        await verifyDocument(doc, trust, { nonce: randomBytes(32), binding: PURPOSE_LABEL }, new Date());
      },
    }),
    { code: 'ATLS_SERVER_NOT_ATTESTED' },
  );
  const results = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const nonce = randomBytes(16 + i);
      const doc = i % 2 === 0 ? await viaGrpc(client, nonce) : await viaHttp(agent.http, nonce);
      await verifyDocument(doc, trust, { nonce, binding: PURPOSE_LABEL }, new Date());
      return true;
    }),
  );
  t.equal(results.length, 20, 'all 20 documents verified');
  client.close();
  t.equal(await agent.stop(), 0);
});

t.test(
  'over TLS without a pin (as the CLI dials): the AK is proven by VerificationService.ActivateCredential',
  async (t) => {
    const { agent, trust } = await startOnSwtpm(t, ['--grpc-listen', '127.0.0.1:0', '--grpc-transport', 'tls']);
    const client = grpcClient(
      t,
      agent.grpc,
      credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined }),
    );
    const nonce = randomBytes(32);
    const document = await viaGrpc(client, nonce);
    const activated = await proveAttestedAk(
      document,
      (credentialBlob, encryptedSecret) =>
        new Promise<Buffer>((resolve, reject) => {
          client.activateCredential({ credentialBlob, encryptedSecret }, (error: ServiceError | null, response) => {
            if (error === null) resolve(response.secret);
            else reject(error);
          });
        }),
    );
    t.equal(Buffer.from(activated.akName).toString('hex'), agent.akName);
    const state = await verifyDocument(
      document,
      { tpm: { ...trust.tpm!, ak: { mode: 'credential-activation', activated } } },
      { nonce, binding: PURPOSE_LABEL },
      new Date(),
    );
    t.equal(state.tpm?.akTrust, 'credential-activation');
    client.close();
    t.equal(await agent.stop(), 0);
  },
);

t.test('a bad configuration exits 2 (as every agent) with every problem listed', async (t) => {
  const agent = startAgentProcess(t, ['--grpc-listen', '0.0.0.0:1', '--grpc-transport', 'plaintext', '--bogus']);
  await t.rejects(agent, /exited with 2 before listening: [\s\S]*--bogus/);
});
