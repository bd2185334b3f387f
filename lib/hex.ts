// Short hex forms for messages: enough to tell values apart, never a whole secret.

export function shortHex(bytes: Uint8Array, keep = 4): string {
  const hex = Buffer.from(bytes).toString('hex');
  return hex.length <= keep * 2 ? hex : `${hex.slice(0, keep * 2)}…`;
}
