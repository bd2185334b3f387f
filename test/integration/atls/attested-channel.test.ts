// Attested TLS end to end over real sockets, real TLS and real gRPC, with a real swtpm as the server's
// issuer and verifyDocument (AK pinned by name) as the client's check: pinning, re-pinning after a key
// change, relay and replay refused. Also re-checks the grpc-js facts the design relies on.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { credentials, Metadata, status, type ChannelCredentials, type Server, type ServiceError } from '@grpc/grpc-js';
import { Tpm } from '../../../native/index.js';
import { ConstellationError, InputError, VerificationError } from '../../../lib/errors.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { verifyDocument, type AttestationTrust } from '../../../lib/attestation/verify/document-verifier.js';
import {
  attesterService,
  connectAttested,
  createAttestedIdentity,
  isPinRejection,
  pinnedCredentials,
  serverCredentials,
  spkiOf,
  type AttestedIdentity,
  type EvidenceIssuer,
} from '../../../lib/atls/index.js';
import { bindServer, createServer, shutdownServer } from '../../../lib/rpc/create-server.js';
import { unaryHandler } from '../../../lib/rpc/unary-handler.js';
import { AttesterClient, AttesterService } from '../../../proto/gen/atls.js';
import { KeyServiceClient, KeyServiceService, type GetDataKeyResponse } from '../../../proto/gen/kms.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';
import { rejectsCode } from '../../unit/attestation/verify/expect-error.js';

const swtpm = await swtpmFor(t, { withEkCert: true });
const tpm = await Tpm.open(swtpm.tcti);
t.teardown(() => {
  tpm.close();
});
const ak = await tpm.createAk('ecc');
const ca = await testCa();
const trust: AttestationTrust = {
  tpm: {
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
    ak: { mode: 'pinned-ak-names', akNames: [ak.name.toString('hex')] },
  },
};
const NO_EVENT_LOG = '/nonexistent/binary_bios_measurements';

const issueFromTpm: EvidenceIssuer = async (nonce, binding) =>
  validateDocumentMessage(
    (await issueQemuVtpmEvidence({ tpm, nonce, binding, ak, eventLogPath: NO_EVENT_LOG })).document,
  );

async function verify(document: AttestationDocument, qualifyingData: Buffer): Promise<void> {
  await verifyDocument(document, trust, { qualifyingData }, new Date());
}

interface RunningServer {
  readonly server: Server;
  readonly identity: AttestedIdentity;
  readonly port: number;
  readonly address: string;
}

/** An attested server: Attester plus a KeyService standing in for the real service. */
async function startServer(
  issue: EvidenceIssuer | undefined,
  port = 0,
  identity?: AttestedIdentity,
): Promise<RunningServer> {
  const id = identity ?? (await createAttestedIdentity());
  const server = createServer();
  if (issue !== undefined) server.addService(AttesterService, attesterService(issue, id));
  server.addService(KeyServiceService, {
    getDataKey: unaryHandler((request: { length: number }): Promise<GetDataKeyResponse> =>
      Promise.resolve({ dataKey: Buffer.alloc(request.length, 1) }),
    ),
  });
  const bound = await bindServer(server, `127.0.0.1:${port}`, serverCredentials(id));
  return { server, identity: id, port: bound, address: `127.0.0.1:${bound}` };
}

function getDataKey(target: string, channel: ChannelCredentials): Promise<GetDataKeyResponse> {
  const client = new KeyServiceClient(target, channel);
  return new Promise<GetDataKeyResponse>((resolve, reject) => {
    client.getDataKey(
      { dataKeyId: 'k', length: 8 },
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, response) => {
        if (error) reject(error);
        else resolve(response);
      },
    );
  }).finally(() => {
    client.close();
  });
}

async function serviceErrorOf(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

t.test('attested, pinned channel: Attest verifies and the service answers over the pin', async (t) => {
  const running = await startServer(issueFromTpm);
  t.teardown(() => shutdownServer(running.server));
  const started = performance.now();
  const connection = await connectAttested({ address: running.address, verify });
  t.comment(
    `connectAttested (TLS read, pinned channel, swtpm quote, verifyDocument): ${(performance.now() - started).toFixed(1)} ms`,
  );
  t.same(connection.spki, running.identity.spki);
  t.same((await getDataKey(connection.target, connection.credentials)).dataKey, Buffer.alloc(8, 1));
});

t.test('a server restarted with a new key is refused on the old pin; a fresh connectAttested succeeds', async (t) => {
  const first = await startServer(issueFromTpm);
  t.teardown(() => shutdownServer(first.server));
  const connection = await connectAttested({ address: first.address, verify });
  await shutdownServer(first.server);
  const second = await startServer(issueFromTpm, first.port);
  t.teardown(() => shutdownServer(second.server));
  const error = await serviceErrorOf(getDataKey(connection.target, connection.credentials));
  t.equal(error.code, status.UNAVAILABLE);
  t.match(error.details, /self[- ]signed certificate/i, 'the TLS failure names the certificate');
  t.comment(`old pin, new key: ${error.details}`);
  t.ok(isPinRejection(error), 'recognised as a pin rejection');
  const again = await connectAttested({ address: second.address, verify });
  t.notSame(again.spki, connection.spki);
  t.same((await getDataKey(again.target, again.credentials)).dataKey, Buffer.alloc(8, 1));
});

t.test("relay: a MITM forwarding the genuine server's Attest answer under its own key is refused", async (t) => {
  const genuine = await startServer(issueFromTpm);
  t.teardown(() => shutdownServer(genuine.server));
  // The MITM knows the genuine certificate (anyone can read it) and forwards the client's nonce.
  const genuineChannel = pinnedCredentials(certDer(genuine.identity), genuine.identity.spki);
  const forwarder = new AttesterClient(genuine.address, genuineChannel);
  t.teardown(() => {
    forwarder.close();
  });
  let forwarded = 0;
  const relayIssue: EvidenceIssuer = (nonce) =>
    new Promise((resolve, reject) => {
      forwarder.attest({ nonce }, (error, response) => {
        forwarded++;
        if (error || response.document === undefined) reject(error ?? new Error('no document'));
        else resolve(validateDocumentMessage(response.document));
      });
    });
  const mitm = await startServer(relayIssue);
  t.teardown(() => shutdownServer(mitm.server));
  await rejectsCode(
    t,
    () => connectAttested({ address: mitm.address, verify }),
    VerificationError,
    'ATLS_SERVER_NOT_ATTESTED',
    /refused: QUOTE_NONCE_MISMATCH: /,
  );
  t.equal(forwarded, 1, 'the genuine evidence was fetched and still refused');
});

t.test('replay: evidence recorded for an old nonce is refused', async (t) => {
  let recorded: AttestationDocument | undefined;
  const replaying = await startServer(async (nonce, binding) => {
    recorded ??= await issueFromTpm(randomBytes(32), binding);
    t.ok(nonce.length >= 16);
    return recorded;
  });
  t.teardown(() => shutdownServer(replaying.server));
  await rejectsCode(
    t,
    () => connectAttested({ address: replaying.address, verify }),
    VerificationError,
    'ATLS_SERVER_NOT_ATTESTED',
    /refused/,
  );
});

t.test('a TLS server without the Attester service is not attested', async (t) => {
  const plain = await startServer(undefined);
  t.teardown(() => shutdownServer(plain.server));
  await rejectsCode(
    t,
    () => connectAttested({ address: plain.address, verify }),
    VerificationError,
    'ATLS_SERVER_NOT_ATTESTED',
    /Attest call failing/,
  );
});

t.test('nothing listening → ATLS_UNREACHABLE', async (t) => {
  const gone = await startServer(issueFromTpm);
  await shutdownServer(gone.server);
  await rejectsCode(
    t,
    () => connectAttested({ address: gone.address, verify }),
    ConstellationError,
    'ATLS_UNREACHABLE',
  );
});

t.test('connectAttested refuses a short nonce and a malformed address', async (t) => {
  await rejectsCode(
    t,
    () => connectAttested({ address: '127.0.0.1:1', verify, nonce: Buffer.alloc(8) }),
    InputError,
    'INVALID_ARGUMENT',
  );
  await rejectsCode(t, () => connectAttested({ address: '127.0.0.1', verify }), InputError, 'INVALID_ARGUMENT');
  await rejectsCode(t, () => connectAttested({ address: 'host:99999', verify }), InputError, 'INVALID_ARGUMENT');
});

t.test('Attest refuses a short nonce with INVALID_ARGUMENT', async (t) => {
  const running = await startServer(issueFromTpm);
  t.teardown(() => shutdownServer(running.server));
  const client = new AttesterClient(
    running.address,
    pinnedCredentials(certDer(running.identity), running.identity.spki),
  );
  t.teardown(() => {
    client.close();
  });
  const error = await serviceErrorOf(
    new Promise((resolve, reject) => {
      client.attest({ nonce: Buffer.alloc(8) }, (e, r) => {
        if (e) reject(e);
        else resolve(r);
      });
    }),
  );
  t.equal(error.code, status.INVALID_ARGUMENT);
});

t.test('grpc-js 1.14 facts (feasibility-tpm-grpc.md §3)', async (t) => {
  const running = await startServer(issueFromTpm);
  t.teardown(() => shutdownServer(running.server));
  const der = certDer(running.identity);

  t.test('rejectUnauthorized:false never calls checkServerIdentity (so it must not be used)', async (t) => {
    let calls = 0;
    const insecure = credentials.createSsl(null, null, null, {
      rejectUnauthorized: false,
      checkServerIdentity: () => {
        calls++;
        return new Error('refuse everything');
      },
    });
    await getDataKey(running.address, insecure);
    t.equal(calls, 0);
  });

  t.test('rootCerts = the server cert + checkServerIdentity: called with the peer cert, can refuse', async (t) => {
    let seen: Buffer | undefined;
    const pinned = credentials.createSsl(Buffer.from(running.identity.certPem), null, null, {
      checkServerIdentity: (_host, certificate) => {
        seen = certificate.raw;
        return undefined;
      },
    });
    await getDataKey(running.address, pinned);
    t.same(seen, der);
    t.same(spkiOf(der), running.identity.spki);
    const refusing = credentials.createSsl(Buffer.from(running.identity.certPem), null, null, {
      checkServerIdentity: () => new Error('custom check says no'),
    });
    const error = await serviceErrorOf(getDataKey(running.address, refusing));
    t.equal(error.code, status.UNAVAILABLE);
    t.match(error.details, /custom check says no/);
    t.notOk(isPinRejection(error), 'another failure is not a pin rejection');
  });

  t.test('stock createSsl refuses the self-signed certificate', async (t) => {
    const error = await serviceErrorOf(getDataKey(running.address, credentials.createSsl()));
    t.equal(error.code, status.UNAVAILABLE);
  });
});

function certDer(identity: AttestedIdentity): Buffer {
  return Buffer.from(identity.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
}
