// The LUKS2 parameters we format with and accept (DESIGN §6).
/**
 * What we format: DESIGN §6. The PBKDF only stretches a 32-byte random (initial) or HKDF-derived (cluster) key:
 * 256 bits of entropy need no stretching, so its cost buys no security and is paid on every unlock and key
 * change of a booting node. argon2id keeps the header shape the original's validator expects (runtime §7.4);
 * forced, minimal parameters (cryptsetup's minimum of 4 passes, 1 MiB, one lane) skip cryptsetup's 2 s
 * benchmark and cost a few milliseconds. (pbkdf2 with 1000 iterations would be as cheap, but a second KDF type
 * is a second thing the header policy would have to accept.)
 */
export const LUKS_FORMAT = {
  cipher: 'aes-xts-plain64',
  keySizeBits: 512,
  sectorSize: 4096,
  /**
   * Room for five keyslots (96-byte volume key × 4000 AF stripes ≈ 376 KiB each) instead of the default 16 MiB:
   * every operation copies the header through RAM (luks-state-disk.ts), and we only ever use keyslot 0.
   */
  keyslotsAreaBytes: 2 * 1024 * 1024,
  /**
   * Where the encrypted data starts: the two 16 KiB metadata copies and the keyslots area (2 MiB + 32 KiB),
   * aligned up to 1 MiB, which is what cryptsetup picks for an attached header with these sizes. Given explicitly
   * because a new disk's header is formatted detached, into a private copy, and written to the disk from there.
   */
  dataOffsetBytes: 3 * 1024 * 1024,
  integrity: 'hmac-sha256',
  pbkdf: { type: 'argon2id', memoryKiB: 1024, iterations: 4, parallel: 1 },
} as const;
