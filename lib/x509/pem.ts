// PEM text of a DER certificate, byte for byte as our earlier certificates were written (the format callers
// store and compare): 64-character base64 lines, "\n" line ends and no newline after the END line.
export function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----'].join('\n');
}
