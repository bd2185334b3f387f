// host:port listen addresses as agents take them from flags, env or file: "127.0.0.1:9000", "[::1]:0",
// "localhost:9000". Port 0 asks the kernel for a free port (tests); the agent prints the bound one.
import { isIP } from 'node:net';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `text`; returns a problem description ("expected …, found …") instead of throwing. */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || !Number.isInteger(port) || port > 65535) {
    return `expected host:port (e.g. 127.0.0.1:9000 or [::1]:9000), found "${text}"`;
  }
  if (match[1] !== undefined && isIP(host) !== 6) return `expected an IPv6 address inside [ ], found "${host}"`;
  if (match[2] !== undefined && isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) {
    return `expected an IP address or host name, found "${host}"`;
  }
  return { host, port };
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** "host:port" with IPv6 hosts in brackets, as grpc-js and humans expect. */
export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
