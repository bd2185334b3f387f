// The octets of an IP address for a subjectAltName iPAddress entry (RFC 5280 §4.2.1.6): 4 bytes for IPv4,
// 16 for IPv6, network byte order. node:net validates the text; this only converts it.
import { isIP } from 'node:net';
import { invalidArgument } from '../errors.js';

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Groups(part: string): number[] {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      // An embedded IPv4 address (::ffff:192.0.2.1) fills the last two groups.
      const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(piece);
      groups.push((a << 8) | b, (c << 8) | d);
    } else {
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

export function ipAddressBytes(text: string): Buffer {
  const family = isIP(text);
  if (family === 4) return Buffer.from(ipv4Bytes(text));
  // A zone (fe80::1%eth0) names an interface of one host; it has no place in a certificate.
  if (family !== 6 || text.includes('%')) throw invalidArgument('IP address', 'an IPv4 or IPv6 address', text);
  const [head = '', tail] = text.split('::');
  const front = ipv6Groups(head);
  const back = tail === undefined ? [] : ipv6Groups(tail);
  const groups = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(group, index * 2));
  return bytes;
}
