// Client of the metadata service (GET /self, /peers, /initsecrethash over plain HTTP). The service is untrusted
// like a cloud's metadata endpoint: answers are bounded in size and time and validated field by field
// (node-metadata.ts) before anything uses them. `localAddress` binds the source IP, because /self answers for the
// node whose address the request comes from.
import { request } from 'node:http';
import { isIP } from 'node:net';
import { ConstellationError, invalidArgument } from '../errors.js';
import {
  metadataInvalid,
  parseInitSecretHash,
  parseNodeMetadata,
  parsePeers,
  type NodeMetadata,
} from './node-metadata.js';

/** Network failure, timeout or a 5xx answer: worth retrying. */
export const METADATA_UNREACHABLE = 'METADATA_UNREACHABLE';
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 5000;

export interface MetadataClientOptions {
  /** http://host:port of the service (no path, query or credentials). */
  readonly url: string;
  /** Source IP of requests (this node's address), so /self identifies us. */
  readonly localAddress?: string;
  /** Whole-request deadline in ms (default 5 s). */
  readonly timeoutMs?: number;
}

export interface MetadataClient {
  self(): Promise<NodeMetadata>;
  peers(): Promise<NodeMetadata[]>;
  /** SHA-256 of the init secret (32 bytes), as the infrastructure announced it. */
  initSecretHash(): Promise<Buffer>;
}

function checkedUrl(text: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(text));
  } catch {
    throw invalidArgument('metadata url', 'an http://host:port URL', text);
  }
  if (url.protocol !== 'http:' || url.username !== '' || url.password !== '' || url.search !== '') {
    throw invalidArgument('metadata url', 'an http://host:port URL without credentials or query', text);
  }
  if (url.pathname !== '/' || url.hash !== '') {
    throw invalidArgument('metadata url', 'an http://host:port URL without a path', text);
  }
  return url;
}

function unreachable(path: string, url: URL, detail: string, cause?: unknown): ConstellationError {
  return new ConstellationError(
    METADATA_UNREACHABLE,
    `Expected an answer from the metadata service at ${url.host} for GET ${path}, found ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

/** GET `path`, returning the parsed JSON body of a 200 answer. */
function getJson(url: URL, path: string, localAddress: string | undefined, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? 80 : Number(url.port),
        path,
        method: 'GET',
        headers: { accept: 'application/json' },
        ...(localAddress === undefined ? {} : { localAddress }),
        // A fresh connection per request: the source address is part of the question.
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(metadataInvalid(`GET ${path} body`, `at most ${MAX_RESPONSE_BYTES} bytes`, `more`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          if (status >= 500) {
            reject(unreachable(path, url, `status ${status}`));
            return;
          }
          if (status !== 200) {
            reject(metadataInvalid(`GET ${path} status`, 'status 200', status));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(metadataInvalid(`GET ${path} body`, 'JSON', `${size} bytes of something else`));
          }
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(unreachable(path, url, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('close', () => {
      clearTimeout(timer);
    });
    req.on('timeout', () => {
      req.destroy(unreachable(path, url, `no answer within ${timeoutMs} ms`));
    });
    req.on('error', (error: Error) => {
      if (error instanceof ConstellationError) reject(error);
      else reject(unreachable(path, url, `an error (${'code' in error ? String(error.code) : error.message})`, error));
    });
    req.end();
  });
}

export function createMetadataClient(options: MetadataClientOptions): MetadataClient {
  const url = checkedUrl(options.url);
  const { localAddress } = options;
  if (localAddress !== undefined && isIP(localAddress) === 0) {
    throw invalidArgument('localAddress', 'an IPv4 or IPv6 address', localAddress);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw invalidArgument('timeoutMs', 'a positive integer', timeoutMs);
  return {
    self: async () => parseNodeMetadata(await getJson(url, '/self', localAddress, timeoutMs), 'self'),
    peers: async () => parsePeers(await getJson(url, '/peers', localAddress, timeoutMs), 'peers'),
    initSecretHash: async () =>
      parseInitSecretHash(await getJson(url, '/initsecrethash', localAddress, timeoutMs), 'initsecrethash'),
  };
}
