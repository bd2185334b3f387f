// Text in event data: firmware writes UCS-2/UTF-16LE, GRUB writes UTF-8; both usually NUL-terminated.

export type TextEncoding = 'utf8' | 'utf16le';

/** Heuristic used by firmware-log tools: UTF-16LE text of ASCII has a zero high byte in the first unit. */
export function looksLikeUtf16(data: Buffer): boolean {
  return data.length >= 2 && data[1] === 0 && data[0] !== 0;
}

/** Decodes event text, dropping trailing NULs (and the stray odd NUL byte some loaders append to UTF-16). */
export function decodeEventText(data: Buffer): { text: string; encoding: TextEncoding } {
  let bytes = data;
  if (looksLikeUtf16(bytes)) {
    if (bytes.length % 2 === 1 && bytes[bytes.length - 1] === 0) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length % 2 === 0) return { text: stripNuls(bytes.toString('utf16le')), encoding: 'utf16le' };
  }
  return { text: stripNuls(data.toString('utf8')), encoding: 'utf8' };
}

function stripNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}
