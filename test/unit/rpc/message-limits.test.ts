// Per-method request limits enforced by our code (withMessageLimits + unaryHandler), over a real socket: an
// oversized request is refused with RESOURCE_EXHAUSTED "MESSAGE_TOO_LARGE" and reaches the observers that
// audit it; grpc-js's own limit stays above as the backstop.
import t from 'tap';
import { credentials, Metadata, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { InputError } from '../../../lib/errors.js';
import { bindServer, createServer, shutdownServer } from '../../../lib/rpc/create-server.js';
import { unaryHandler } from '../../../lib/rpc/unary-handler.js';
import {
  assertWithinLimit,
  MESSAGE_TOO_LARGE,
  MessageTooLargeError,
  observeOversized,
  OversizedRequest,
  withMessageLimits,
} from '../../../lib/rpc/message-limits.js';
import { statusFor } from '../../../lib/rpc/status-for.js';
import {
  GetDataKeyRequest,
  KeyServiceClient,
  KeyServiceService,
  type GetDataKeyResponse,
} from '../../../proto/gen/kms.js';

const LIMIT = 1024;
const BACKSTOP = 64 * 1024;
const PATH = '/constellation.kms.v1.KeyService/GetDataKey';

t.test('the wrapped deserializer decodes up to the limit and marks anything larger', (t) => {
  const limited = withMessageLimits(KeyServiceService, { defaultBytes: LIMIT });
  const atLimit = Buffer.from(GetDataKeyRequest.encode({ dataKeyId: 'x'.repeat(LIMIT - 5), length: 1 }).finish());
  t.equal(atLimit.length, LIMIT);
  t.same(limited.getDataKey.requestDeserialize(atLimit), { dataKeyId: 'x'.repeat(LIMIT - 5), length: 1 });
  const above = Buffer.concat([atLimit, Buffer.from([0x10, 0x01])]);
  const marker = limited.getDataKey.requestDeserialize(above) as unknown;
  t.type(marker, OversizedRequest);
  t.match(marker, { method: PATH, bytes: LIMIT + 2, limit: LIMIT });
  t.not(limited.getDataKey.requestDeserialize, KeyServiceService.getDataKey.requestDeserialize, 'a copy');
  t.match(limited.getDataKey, { path: PATH, requestStream: false, responseStream: false });
  t.end();
});

t.test('a per-method limit overrides the default', (t) => {
  const limited = withMessageLimits(KeyServiceService, { defaultBytes: LIMIT, perMethod: { getDataKey: 10 } });
  const eleven = Buffer.from(GetDataKeyRequest.encode({ dataKeyId: 'x'.repeat(7), length: 1 }).finish());
  t.equal(eleven.length, 11);
  t.match(limited.getDataKey.requestDeserialize(eleven), { bytes: 11, limit: 10 });
  t.end();
});

t.test('nonsensical limits are refused', (t) => {
  t.throws(() => withMessageLimits(KeyServiceService, { defaultBytes: 0 }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => withMessageLimits(KeyServiceService, { defaultBytes: LIMIT, perMethod: { getDataKey: 1.5 } }), {
    code: 'INVALID_ARGUMENT',
    message: /perMethod\.getDataKey/,
  });
  t.end();
});

t.test('MessageTooLargeError maps to RESOURCE_EXHAUSTED and names method, limit and size', (t) => {
  const error = new OversizedRequest(PATH, 2048, LIMIT).error();
  t.type(error, InputError);
  t.equal(error.code, MESSAGE_TOO_LARGE);
  t.same(statusFor(error), {
    code: status.RESOURCE_EXHAUSTED,
    details: `MESSAGE_TOO_LARGE: ${PATH} expected a request of ≤ ${LIMIT} bytes, found 2048`,
  });
  t.throws(() => {
    assertWithinLimit(new OversizedRequest(PATH, 2048, LIMIT));
  }, MessageTooLargeError);
  t.doesNotThrow(() => {
    assertWithinLimit({ dataKeyId: 'x', length: 1 });
  });
  t.end();
});

t.test('over a real socket: refused, observed once, the handler never runs, the channel keeps working', async (t) => {
  let handled = 0;
  const observed: MessageTooLargeError[] = [];
  const errors: unknown[] = [];
  const server = createServer({ maxMessageBytes: BACKSTOP });
  server.addService(
    withMessageLimits(KeyServiceService, { defaultBytes: LIMIT }),
    observeOversized(
      {
        getDataKey: unaryHandler(
          (request: GetDataKeyRequest): Promise<GetDataKeyResponse> => {
            handled += 1;
            return Promise.resolve({ dataKey: Buffer.alloc(request.length, 7) });
          },
          (error) => errors.push(error),
        ),
      },
      (error) => observed.push(error),
    ),
  );
  const port = await bindServer(server, '127.0.0.1:0', ServerCredentials.createInsecure());
  const client = new KeyServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': 8 * BACKSTOP,
  });
  t.teardown(async () => {
    client.close();
    await shutdownServer(server);
  });
  const call = (dataKeyId: string): Promise<GetDataKeyResponse> =>
    new Promise((resolve, reject) => {
      client.getDataKey({ dataKeyId, length: 4 }, new Metadata(), { deadline: Date.now() + 10_000 }, (error, r) => {
        if (error) reject(error);
        else resolve(r);
      });
    });
  const failed = async (dataKeyId: string): Promise<ServiceError> =>
    call(dataKeyId).then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error as ServiceError,
    );

  const bytes = GetDataKeyRequest.encode({ dataKeyId: 'x'.repeat(2 * LIMIT), length: 4 }).finish().length;
  const refused = await failed('x'.repeat(2 * LIMIT));
  t.equal(refused.code, status.RESOURCE_EXHAUSTED);
  t.equal(refused.details, `MESSAGE_TOO_LARGE: ${PATH} expected a request of ≤ ${LIMIT} bytes, found ${bytes}`);
  t.equal(observed.length, 1, 'observed once');
  t.match(observed[0], { code: MESSAGE_TOO_LARGE, method: PATH, bytes, limit: LIMIT });
  t.type(errors[0], MessageTooLargeError, 'the error observer sees it too');
  t.equal(handled, 0, 'the handler never ran');

  t.same((await call('disk')).dataKey, Buffer.alloc(4, 7), 'a request within the limit is served');
  t.equal(handled, 1);

  const backstopped = await failed('x'.repeat(2 * BACKSTOP));
  t.equal(backstopped.code, status.RESOURCE_EXHAUSTED, 'above the backstop grpc-js refuses it itself');
  t.notMatch(backstopped.details, /MESSAGE_TOO_LARGE/);
  t.equal(observed.length, 1, 'unobserved (unaudited) above the backstop');
  t.equal(handled, 1);
});
