// Real gRPC over 127.0.0.1: error mapping through unaryHandler, message size limit, authorization.
import t from 'tap';
import { credentials, Metadata, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { InputError } from '../../../lib/errors.js';
import { authorizationTable } from '../../../lib/rpc/authorization.js';
import { bindServer, createServer, JOIN_MAX_MESSAGE_BYTES, shutdownServer } from '../../../lib/rpc/create-server.js';
import { unaryHandler } from '../../../lib/rpc/unary-handler.js';
import {
  KeyServiceClient,
  KeyServiceService,
  type GetDataKeyRequest,
  type GetDataKeyResponse,
} from '../../../proto/gen/kms.js';

const authorize = authorizationTable({ '/constellation.kms.v1.KeyService/Other': 'worker' });
const server = createServer({ maxMessageBytes: JOIN_MAX_MESSAGE_BYTES });
server.addService(KeyServiceService, {
  getDataKey: unaryHandler((request: GetDataKeyRequest, call): Promise<GetDataKeyResponse> => {
    if (request.dataKeyId === 'deny') authorize(call.getPath(), 'worker');
    if (request.dataKeyId === 'bad') throw new InputError('INVALID_ARGUMENT', 'Expected a key id, found "bad"');
    if (request.dataKeyId === 'crash') throw new Error('ENOENT: /var/lib/secret');
    return Promise.resolve({ dataKey: Buffer.alloc(request.length, 7) });
  }),
});
const port = await bindServer(server, '127.0.0.1:0', ServerCredentials.createInsecure());
const client = new KeyServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
t.teardown(async () => {
  client.close();
  await shutdownServer(server);
});

function call(dataKeyId: string, length = 4): Promise<GetDataKeyResponse> {
  return new Promise((resolve, reject) => {
    client.getDataKey({ dataKeyId, length }, new Metadata(), { deadline: Date.now() + 10_000 }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

async function statusOf(dataKeyId: string): Promise<ServiceError> {
  try {
    await call(dataKeyId);
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

t.test('a handler result reaches the client', async (t) => {
  t.same((await call('disk', 4)).dataKey, Buffer.alloc(4, 7));
});

t.test('InputError → INVALID_ARGUMENT with code and message', async (t) => {
  const error = await statusOf('bad');
  t.equal(error.code, status.INVALID_ARGUMENT);
  t.equal(error.details, 'INVALID_ARGUMENT: Expected a key id, found "bad"');
});

t.test('an unexpected error → INTERNAL without its message', async (t) => {
  const error = await statusOf('crash');
  t.equal(error.code, status.INTERNAL);
  t.notMatch(error.details, /secret/);
});

t.test('a method missing from the authorization table → PERMISSION_DENIED', async (t) => {
  const error = await statusOf('deny');
  t.equal(error.code, status.PERMISSION_DENIED);
  t.match(error.details, /^METHOD_NOT_AUTHORIZED: /);
});

t.test('an oversized request → RESOURCE_EXHAUSTED', async (t) => {
  const error = await statusOf('x'.repeat(JOIN_MAX_MESSAGE_BYTES + 1));
  t.equal(error.code, status.RESOURCE_EXHAUSTED);
});

t.test('a request just under the limit passes', async (t) => {
  t.equal((await call('x'.repeat(JOIN_MAX_MESSAGE_BYTES - 64), 1)).dataKey.length, 1);
});

t.test('createServer refuses a nonsensical limit', (t) => {
  t.throws(() => createServer({ maxMessageBytes: 10 }), { code: 'INVALID_ARGUMENT' });
  t.end();
});
