// gRPC and HTTP front ends over a fake attestation source: limits, status mapping, no leaking of internal errors.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import type { AttestationSource } from '../../../agents/verification/attestation-source.js';
import { startAgent } from '../../../agents/verification/agent.js';
import { createHttpService } from '../../../agents/verification/http-service.js';
import { RequestLimiter } from '../../../agents/verification/request-limiter.js';
import { createLogger } from '../../../lib/log/index.js';
import { ConstellationError, TpmError } from '../../../lib/errors.js';
import { VerificationServiceClient, type GetAttestationResponse } from '../../../proto/gen/verify.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';

const DOC: AttestationDocument = { version: 1, variant: 'qemu-vtpm' };
const silent = createLogger({ name: 'test', transport: 'stderr-json', write: () => undefined });

function fakeSource(
  attest: (nonce: Uint8Array) => Promise<AttestationDocument>,
): AttestationSource & { closed: number } {
  const source = {
    akName: '000b' + 'ab'.repeat(32),
    closed: 0,
    attest,
    attestBound: (nonce: Uint8Array) => attest(nonce),
    activate: () => Promise.reject(new TpmError('TPM_RC', 'the fake has no TPM')),
    close: () => {
      source.closed += 1;
      return Promise.resolve();
    },
  };
  return source;
}

async function started(t: Test, source: AttestationSource, burst = 100) {
  const agent = await startAgent({
    source,
    logger: silent,
    grpcListen: '127.0.0.1:0',
    grpcTransport: 'plaintext',
    httpListen: '127.0.0.1:0',
    limits: { maxConcurrentPerClient: 4, maxConcurrentTotal: 8, ratePerSecond: 0.001, burst, maxClients: 16 },
  });
  t.teardown(() => agent.close());
  const client = new VerificationServiceClient(agent.grpc!, credentials.createInsecure());
  t.teardown(() => {
    client.close();
  });
  const call = (nonce: Buffer) =>
    new Promise<GetAttestationResponse>((resolve, reject) => {
      client.getAttestation({ nonce }, (error: ServiceError | null, response: GetAttestationResponse) => {
        if (error === null) resolve(response);
        else reject(error);
      });
    });
  return { agent, call };
}

t.test('over budget: RESOURCE_EXHAUSTED over gRPC, 429 with retry-after over HTTP', async (t) => {
  const { agent, call } = await started(
    t,
    fakeSource(() => Promise.reject(new TpmError('TPM_RC', 'not reached'))),
    2,
  );
  await t.rejects(call(Buffer.alloc(16)), { code: status.UNAVAILABLE, details: 'TPM_RC: TPM operation failed' });
  await t.rejects(call(Buffer.alloc(16)), { code: status.UNAVAILABLE });
  await t.rejects(call(Buffer.alloc(16)), {
    code: status.RESOURCE_EXHAUSTED,
    details: /^RATE_LIMITED: Expected at most/,
  });
  const response = await fetch(`http://${agent.http!}/v1/attestation?nonce=${'00'.repeat(16)}`);
  t.equal(response.status, 429, 'the HTTP front end shares the client budget');
  t.equal(response.headers.get('retry-after'), '1');
  t.same(((await response.json()) as { error: string }).error, 'RATE_LIMITED');
});

t.test('a bad nonce does not cost budget', async (t) => {
  const { call } = await started(
    t,
    fakeSource(() => Promise.resolve(DOC)),
    1,
  );
  for (let i = 0; i < 3; i += 1) await t.rejects(call(Buffer.alloc(3)), { code: status.INVALID_ARGUMENT });
  t.equal(
    (await call(Buffer.alloc(16))).document?.variant,
    'qemu-vtpm',
    'the budget of one was not spent by the bad nonces',
  );
  await t.rejects(call(Buffer.alloc(16)), { code: status.RESOURCE_EXHAUSTED }, 'now it is');
});

t.test('unexpected errors say nothing about themselves; TPM errors only their code', async (t) => {
  const secret = 'disk key 0123456789abcdef';
  const { agent, call } = await started(
    t,
    fakeSource(() => Promise.reject(new Error(secret))),
  );
  const failure = await call(Buffer.alloc(16)).catch((error: unknown) => error as ServiceError);
  t.match(failure, { code: status.INTERNAL, details: 'internal error' });
  const response = await fetch(`http://${agent.http!}/v1/attestation?nonce=${'00'.repeat(16)}`);
  t.equal(response.status, 500);
  const text = await response.text();
  t.notMatch(text, /disk key/);
  t.same(JSON.parse(text), { error: 'INTERNAL', message: 'internal error' });
});

t.test('HTTP: a TPM failure is 503 without the TSS detail; unknown errors do not leak', async (t) => {
  const deps = {
    source: fakeSource(() => Promise.reject(new TpmError('TPM_RC', 'rc 0x921 with internals', { rc: 0x921 }))),
    limiter: new RequestLimiter(),
  };
  const server = createHttpService(deps);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/v1/attestation?nonce=${'00'.repeat(16)}`);
  t.equal(response.status, 503);
  t.same(await response.json(), { error: 'TPM_RC', message: 'TPM operation failed' });
  t.equal(deps.limiter.inFlight, 0, 'the slot is released after a failure');
});

t.test('close drains the listeners and then closes the source once', async (t) => {
  const source = fakeSource(() => Promise.reject(new ConstellationError('X', 'x')));
  const agent = await startAgent({
    source,
    logger: silent,
    grpcListen: '',
    grpcTransport: 'tls',
    httpListen: '127.0.0.1:0',
  });
  t.equal(agent.grpc, undefined);
  t.match(agent.http, /^127\.0\.0\.1:\d+$/);
  await Promise.all([agent.close(), agent.close()]);
  t.equal(source.closed, 1);
});

t.test('TLS listener starts with an ephemeral identity', async (t) => {
  const source = fakeSource(() => Promise.resolve(DOC));
  const agent = await startAgent({
    source,
    logger: silent,
    grpcListen: '127.0.0.1:0',
    grpcTransport: 'tls',
    httpListen: '',
  });
  t.teardown(() => agent.close());
  t.match(agent.grpc, /^127\.0\.0\.1:\d+$/);
  t.equal(agent.http, undefined);
});
