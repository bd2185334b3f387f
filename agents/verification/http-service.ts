// The same service over plain HTTP for tools without gRPC: GET /v1/attestation?nonce=<hex> → {"document": …} in
// the JSON form of lib/attestation/document. Strict edges: bounded URL, exactly one query parameter, no body,
// 405 for other methods, 404 for other paths, 429 over the client's budget, 400 for a bad nonce.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { documentToJson } from '../../lib/attestation/document/document-json.js';
import { ConstellationError, InputError, TpmError, invalidArgument } from '../../lib/errors.js';
import type { ServiceDependencies } from './grpc-service.js';
import { clientAddress } from '../../lib/rpc/client-address.js';
import { parseHexNonce } from './purpose.js';
import { RATE_LIMITED } from './request-limiter.js';

export const ATTESTATION_PATH = '/v1/attestation';
/** Path + "?nonce=" + 128 hex chars fits easily; anything longer is not a request of ours. */
export const MAX_URL_LENGTH = 512;

interface HttpAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

function errorAnswer(error: unknown): HttpAnswer {
  if (error instanceof ConstellationError && error.code === RATE_LIMITED) {
    return { status: 429, body: { error: error.code, message: error.message }, headers: { 'retry-after': '1' } };
  }
  if (error instanceof InputError) return { status: 400, body: { error: error.code, message: error.message } };
  if (error instanceof TpmError) return { status: 503, body: { error: error.code, message: 'TPM operation failed' } };
  // Anything else may carry internal state: say nothing about it.
  return { status: 500, body: { error: 'INTERNAL', message: 'internal error' } };
}

function nonceFrom(url: URL): string | undefined {
  const keys = [...url.searchParams.keys()];
  if (keys.length !== 1 || keys[0] !== 'nonce') {
    throw invalidArgument('query', 'exactly one parameter "nonce"', keys.join('&'));
  }
  return url.searchParams.get('nonce') ?? undefined;
}

async function answer(request: IncomingMessage, deps: ServiceDependencies, client: string): Promise<HttpAnswer> {
  const rawUrl = request.url ?? '';
  if (rawUrl.length > MAX_URL_LENGTH) {
    return { status: 414, body: { error: 'URI_TOO_LONG', message: `Expected at most ${MAX_URL_LENGTH} chars` } };
  }
  const url = new URL(rawUrl, 'http://localhost');
  if (url.pathname !== ATTESTATION_PATH) {
    return { status: 404, body: { error: 'NOT_FOUND', message: `Expected path ${ATTESTATION_PATH}` } };
  }
  if (request.method !== 'GET') {
    return {
      status: 405,
      body: { error: 'METHOD_NOT_ALLOWED', message: `Expected GET but received ${request.method ?? 'none'}` },
      headers: { allow: 'GET' },
    };
  }
  const nonce = parseHexNonce(nonceFrom(url));
  const release = deps.limiter.acquire(client);
  try {
    return { status: 200, body: { document: documentToJson(await deps.source.attest(nonce)) } };
  } finally {
    release();
  }
}

function send(response: ServerResponse, result: HttpAnswer): void {
  const body = JSON.stringify(result.body);
  response.writeHead(result.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...result.headers,
  });
  response.end(body);
}

export function createHttpService(deps: ServiceDependencies): Server {
  const server = createServer({ maxHeaderSize: 8 * 1024, requestTimeout: 30_000 }, (request, response) => {
    const client = clientAddress(request.socket.remoteAddress);
    // A GET has no body; drain whatever a client sends so the socket can be reused or closed cleanly.
    request.resume();
    answer(request, deps, client).then(
      (result) => {
        send(response, result);
      },
      (error: unknown) => {
        deps.onError?.(error, client);
        send(response, errorAnswer(error));
      },
    );
  });
  return server;
}
