// The image's os-release: the UKI's .osrel section (measured into PCR 11) and /usr/lib/os-release in the root.

export interface ImageIdentity {
  readonly name: string;
  readonly version: string;
}

export function osRelease(image: ImageIdentity): string {
  return [
    'NAME="Constellation"',
    'ID=constellation',
    'ID_LIKE=debian',
    'PRETTY_NAME="Constellation node"',
    `VERSION_ID=${quoted(image.version)}`,
    `IMAGE_ID=${quoted(image.name)}`,
    `IMAGE_VERSION=${quoted(image.version)}`,
    'HOME_URL="https://github.com/edgelesssys/constellation"',
    '',
  ].join('\n');
}

function quoted(value: string): string {
  return `"${value.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}
