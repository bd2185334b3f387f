// The Attester on the TLS listener shares the per-client budget; bad nonces skip it and fail INVALID_ARGUMENT.
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import t from 'tap';
import { limitedAttester } from '../../../agents/verification/attester.js';
import { RequestLimiter } from '../../../agents/verification/request-limiter.js';
import type { AttestationDocument } from '../../../lib/attestation/document/attestation-document.js';
import type { AttestRequest, AttestResponse } from '../../../proto/gen/atls.js';

interface Answer {
  readonly error: { code?: number; details?: string } | null;
  readonly response: AttestResponse | null | undefined;
}

function call(server: ReturnType<typeof limitedAttester>, nonce: Buffer, peer = 'ipv4:10.0.0.7:4000'): Promise<Answer> {
  return new Promise((resolve) => {
    const fakeCall = {
      request: { nonce },
      getPeer: () => peer,
      getPath: () => '/constellation.atls.v1.Attester/Attest',
    } as unknown as ServerUnaryCall<AttestRequest, AttestResponse>;
    const callback: sendUnaryData<AttestResponse> = (error, response) => {
      resolve({ error: error, response });
    };
    server.attest(fakeCall, callback);
  });
}

t.test('evidence is bound to the identity key; budget is shared per client; bad nonces cost nothing', async (t) => {
  const spki = Buffer.from('spki of the tls key');
  const bindings: Buffer[] = [];
  const limiter = new RequestLimiter({
    maxConcurrentPerClient: 4,
    maxConcurrentTotal: 8,
    ratePerSecond: 0.001,
    burst: 1,
    maxClients: 8,
  });
  const errors: string[] = [];
  const server = limitedAttester(
    {
      limiter,
      source: {
        attestBound: (_nonce, binding) => {
          bindings.push(Buffer.from(binding));
          return Promise.resolve({ version: 1, variant: 'qemu-vtpm' } as AttestationDocument);
        },
      },
      onError: (error) => {
        errors.push(String((error as { code?: unknown }).code));
      },
    },
    { spki },
  );
  const short = await call(server, Buffer.alloc(15));
  t.equal(short.error?.code, status.INVALID_ARGUMENT);
  const first = await call(server, Buffer.alloc(16));
  t.equal(first.error, null);
  t.equal(first.response?.document?.variant, 'qemu-vtpm');
  t.same(bindings, [spki], 'the binding is the TLS SPKI, not the purpose label');
  const second = await call(server, Buffer.alloc(16));
  t.equal(second.error?.code, status.RESOURCE_EXHAUSTED);
  t.match(second.error?.details, /^RATE_LIMITED: /);
  t.same(errors, ['RATE_LIMITED']);
  t.equal((await call(server, Buffer.alloc(16), 'ipv4:10.0.0.8:1')).error, null, 'another client has its own budget');
  t.equal(limiter.inFlight, 0, 'slots are released after each answer');
});
