// The key the limiter counts by: the peer's IP without the port (a client opens many connections, one address).

/** "ipv4:127.0.0.1:5000", "127.0.0.1:5000", "[::1]:5000", "ipv6:[::1]:5000" → "127.0.0.1" / "::1". */
export function clientAddress(peer: string | undefined): string {
  if (peer === undefined || peer === '') return 'unknown';
  const withoutScheme = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const hostPort = /^([^:]+):\d+$/.exec(withoutScheme);
  return hostPort?.[1] ?? withoutScheme;
}
