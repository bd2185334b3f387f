// The host-side metadata service of the local cluster, shaped like a cloud's metadata endpoint: plain HTTP, no
// authentication, answers from an inventory file the orchestrator edits (re-read per request). Untrusted by design:
// nodes validate every answer and attest every peer; the service only tells them who is who.
//   GET /self            → the NodeMetadata whose address is the request's source IP (404 otherwise)
//   GET /peers           → NodeMetadata[]
//   GET /initsecrethash  → {"sha256": "<hex>"} (404 until the inventory has one)
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConstellationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log/index.js';
import { readInventory, type Inventory } from '../../lib/metadata/inventory.js';

const MAX_URL_LENGTH = 256;

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export interface MetadataServiceOptions {
  readonly inventoryPath: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly logger: Logger;
}

export interface RunningMetadataService {
  /** "ip:port" actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d. */
export function sourceAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice('::ffff:'.length) : remote;
}

function answerFrom(inventory: Inventory, path: string, source: string): Answer {
  switch (path) {
    case '/self': {
      const self = inventory.nodes.find((node) => node.address === source);
      return self === undefined
        ? { status: 404, body: { error: 'NOT_FOUND', message: `Expected a node with address ${source}, found none` } }
        : { status: 200, body: self };
    }
    case '/peers':
      return { status: 200, body: inventory.nodes };
    case '/initsecrethash':
      return inventory.initSecretHash === undefined
        ? { status: 404, body: { error: 'NOT_FOUND', message: 'Expected an init secret hash, found none yet' } }
        : { status: 200, body: { sha256: inventory.initSecretHash.toString('hex') } };
    default:
      return {
        status: 404,
        body: { error: 'NOT_FOUND', message: 'Expected /self, /peers or /initsecrethash' },
      };
  }
}

async function answer(request: IncomingMessage, inventoryPath: string): Promise<Answer> {
  const rawUrl = request.url ?? '';
  if (rawUrl.length > MAX_URL_LENGTH) {
    return { status: 414, body: { error: 'URI_TOO_LONG', message: `Expected at most ${MAX_URL_LENGTH} chars` } };
  }
  if (request.method !== 'GET') {
    return {
      status: 405,
      body: { error: 'METHOD_NOT_ALLOWED', message: `Expected GET, found ${request.method ?? 'none'}` },
    };
  }
  const { pathname } = new URL(rawUrl, 'http://metadata');
  return answerFrom(await readInventory(inventoryPath), pathname, sourceAddress(request.socket.remoteAddress));
}

function send(response: ServerResponse, result: Answer): void {
  const body = JSON.stringify(result.body);
  response.writeHead(result.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

export function createMetadataServer(options: Pick<MetadataServiceOptions, 'inventoryPath' | 'logger'>): Server {
  const { inventoryPath, logger } = options;
  return createServer({ maxHeaderSize: 8 * 1024, requestTimeout: 10_000 }, (request, response) => {
    request.resume();
    answer(request, inventoryPath).then(
      (result) => {
        logger.debug('answered', { path: request.url?.slice(0, MAX_URL_LENGTH), status: result.status });
        send(response, result);
      },
      (error: unknown) => {
        const code = error instanceof ConstellationError ? error.code : 'INVENTORY_UNREADABLE';
        logger.error('cannot answer from the inventory', { inventoryPath, code, error: String(error) });
        send(response, { status: 500, body: { error: code, message: 'the inventory cannot be read' } });
      },
    );
  });
}

export async function startMetadataService(options: MetadataServiceOptions): Promise<RunningMetadataService> {
  const server = createMetadataServer(options);
  server.listen(options.listen.port, options.listen.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]: unknown[]) => {
      throw error;
    }),
  ]);
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  return {
    address: `${host}:${bound.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
