// "host:port" for a node address and one of its well-known ports (IPv6 in brackets).
export function nodeEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
