// The TPM as seen from TypeScript: one open ESYS context over tpm2-tss, every command async and queued so that
// one is in flight at a time. Arguments are validated here; failures come back as TpmError with the TSS2
// response code and the caller's stack.
import { InputError, TpmError } from '../lib/errors.js';
import { pcrBankForAlg, type PcrBank, type PcrSelection, type PcrValues } from '../lib/tpm/pcr.js';
import { loadAddon, TPM_ADDON_FILE } from './loader.js';
import {
  checkBytes,
  checkInteger,
  checkKeyKind,
  checkNvIndex,
  checkString,
  toNativeDigests,
  toNativeSelection,
  type KeyKind,
} from './tpm-arguments.js';
import type { NativeContext, NativeTpmBinding } from './tpm-binding.js';
import { TpmQueue, type QueueStats } from './tpm-queue.js';
import { invalidArgument } from '../lib/errors.js';

export type { KeyKind } from './tpm-arguments.js';
export type { QueueStats } from './tpm-queue.js';

export const DEFAULT_TCTI = 'device:/dev/tpmrm0';

/** A key loaded in one Tpm context. `public` is the marshalled TPMT_PUBLIC, `name` is nameAlg ‖ H(public). */
export interface KeyHandle {
  /** ESYS_TR of the loaded object; meaningful only in the context that created it. */
  readonly handle: number;
  readonly public: Buffer;
  readonly name: Buffer;
  readonly kind: KeyKind;
}

export interface PcrReadResult {
  /** TPM PCR update counter at the time of the read (the read is retried if it moved in between). */
  readonly updateCounter: number;
  readonly values: PcrValues;
}

export interface QuoteResult {
  /** TPMS_ATTEST exactly as signed. */
  readonly attest: Buffer;
  /** Marshalled TPMT_SIGNATURE. */
  readonly signature: Buffer;
}

export interface SealedData {
  /** Marshalled TPMT_PUBLIC of the sealed object (its authPolicy is the PCR policy). */
  readonly public: Buffer;
  /** TPM2B_PRIVATE contents, encrypted to the storage primary of this TPM. */
  readonly private: Buffer;
}

export type PcrDigests = Partial<Record<PcrBank, Uint8Array>>;

/** TPMA_NV bits for nvDefine. */
export const NV_ATTRIBUTES = {
  PPWRITE: 1 << 0,
  OWNERWRITE: 1 << 1,
  AUTHWRITE: 1 << 2,
  PPREAD: 1 << 16,
  OWNERREAD: 1 << 17,
  AUTHREAD: 1 << 18,
  NO_DA: 1 << 25,
} as const;

/** Owner- and index-authorised read/write, exempt from dictionary-attack lockout. */
export const NV_DEFAULT_ATTRIBUTES =
  NV_ATTRIBUTES.OWNERWRITE |
  NV_ATTRIBUTES.AUTHWRITE |
  NV_ATTRIBUTES.OWNERREAD |
  NV_ATTRIBUTES.AUTHREAD |
  NV_ATTRIBUTES.NO_DA;

/** TCG EK Credential Profile NV indices of the EK certificates for templates L-1 (RSA) and L-2 (ECC P-256). */
export const EK_CERTIFICATE_INDEX: Readonly<Record<KeyKind, number>> = { rsa: 0x01c00002, ecc: 0x01c0000a };

const MAX_QUALIFYING_DATA = 64;
const MAX_SEAL_DATA = 128; // MAX_SYM_DATA: the most a keyed-hash object can hold
const MAX_SIGN_MESSAGE = 1 << 20;
const MAX_ID_OBJECT = 132; // TPMS_ID_OBJECT: two TPM2B_DIGEST
const MAX_ENCRYPTED_SECRET = 512;

let binding: NativeTpmBinding | undefined;

function tpmBinding(): NativeTpmBinding {
  binding ??= loadAddon(TPM_ADDON_FILE) as NativeTpmBinding;
  return binding;
}

interface NativeFailure {
  readonly message: string;
  readonly code?: unknown;
  readonly rc?: unknown;
  readonly rcText?: unknown;
}

function isNativeFailure(error: unknown): error is NativeFailure {
  return error instanceof Error;
}

/** Rethrows a native failure as TpmError (or InputError for a C++ argument check) with the caller's stack. */
function toTpmError(error: unknown, callerStack: Error): Error {
  if (error instanceof TpmError || error instanceof InputError) return error;
  let converted: Error;
  if (error instanceof TypeError || error instanceof RangeError) {
    converted = new InputError('INVALID_ARGUMENT', error.message, { cause: error });
  } else if (isNativeFailure(error)) {
    const code = typeof error.code === 'string' ? error.code : 'TPM_RC';
    const details: { rc?: number; rcText?: string } = {};
    if (typeof error.rc === 'number') details.rc = error.rc;
    if (typeof error.rcText === 'string') details.rcText = error.rcText;
    converted = new TpmError(code, error.message, details, { cause: error });
  } else {
    converted = new TpmError('TPM_RC', String(error), {});
  }
  const frames = (callerStack.stack ?? '').split('\n').slice(1).join('\n');
  converted.stack = `${converted.name}: ${converted.message}\n${frames}`;
  return converted;
}

/** DER certificates may be padded in NV; keep exactly the outer SEQUENCE. */
function trimDer(bytes: Buffer): Buffer {
  if (bytes.length < 2 || bytes[0] !== 0x30) return bytes;
  const first = bytes[1] ?? 0;
  if (first < 0x80) return bytes.subarray(0, Math.min(bytes.length, 2 + first));
  const lengthBytes = first & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 3 || bytes.length < 2 + lengthBytes) return bytes;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return bytes.subarray(0, Math.min(bytes.length, 2 + lengthBytes + length));
}

export class Tpm {
  readonly tcti: string;
  readonly #native: NativeTpmBinding;
  #context: NativeContext | undefined;
  readonly #queue = new TpmQueue();
  readonly #keys = new Map<number, KeyHandle>();
  #closing: Promise<void> | undefined;

  private constructor(native: NativeTpmBinding, context: NativeContext, tcti: string) {
    this.#native = native;
    this.#context = context;
    this.tcti = tcti;
  }

  /** Connects to the TPM at `tcti` (e.g. `device:/dev/tpmrm0`, `swtpm:path=/run/tpm.sock`). */
  static async open(tcti: string = DEFAULT_TCTI): Promise<Tpm> {
    const stack = new Error();
    checkString('tcti', tcti, 4096);
    const native = tpmBinding();
    try {
      return new Tpm(native, await native.open(tcti), tcti);
    } catch (error) {
      throw toTpmError(error, stack);
    }
  }

  /** Waits for queued commands, then releases the context. Later calls fail with TPM_CLOSED. */
  close(): Promise<void> {
    this.#closing ??= this.#queue.run(async () => {
      const context = this.#context;
      this.#context = undefined;
      this.#keys.clear();
      if (context !== undefined) await this.#native.close(context);
    });
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  queueStats(): QueueStats {
    return this.#queue.stats();
  }

  async getRandom(size: number): Promise<Buffer> {
    const stack = new Error();
    checkInteger('size', size, 1, 65536);
    return this.#call(stack, (native, context) => native.getRandom(context, size));
  }

  async pcrRead(selection: PcrSelection): Promise<PcrReadResult> {
    const stack = new Error();
    const nativeSelection = toNativeSelection('selection', selection);
    const result = await this.#call(stack, (native, context) => native.pcrRead(context, nativeSelection));
    const values: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
    for (const [alg, pcr, digest] of result.digests) {
      const bank = pcrBankForAlg(alg);
      if (bank === undefined) continue;
      (values[bank] ??= {})[pcr] = digest;
    }
    return { updateCounter: result.updateCounter, values };
  }

  async pcrExtend(pcr: number, digests: PcrDigests): Promise<void> {
    const stack = new Error();
    checkInteger('pcr', pcr, 0, 23);
    const nativeDigests = toNativeDigests('digests', digests);
    await this.#call(stack, (native, context) => native.pcrExtend(context, pcr, nativeDigests));
  }

  /** Public area and name of a persistent object such as the EK at 0x81010001. */
  async readPublic(handle: number): Promise<{ public: Buffer; name: Buffer }> {
    const stack = new Error();
    if (typeof handle !== 'number' || !Number.isInteger(handle) || handle < 0x81000000 || handle > 0x81ffffff) {
      throw invalidArgument('handle', 'persistent handle 0x81000000-0x81FFFFFF', handle);
    }
    return this.#call(stack, (native, context) => native.readPublic(context, handle));
  }

  /** The EK from the TCG default template (L-1 RSA-2048 or L-2 ECC P-256), as a transient primary. */
  async createEk(kind: KeyKind): Promise<KeyHandle> {
    const stack = new Error();
    checkKeyKind('kind', kind);
    return this.#track(await this.#call(stack, (native, context) => native.createEk(context, kind)));
  }

  /**
   * A restricted signing key (ECC P-256 ECDSA-SHA256 or RSA-2048 RSASSA-SHA256), created as a primary in the
   * endorsement hierarchy: reproducible on this TPM and certifiable through activateCredential with the EK.
   */
  async createAk(kind: KeyKind): Promise<KeyHandle> {
    const stack = new Error();
    checkKeyKind('kind', kind);
    return this.#track(await this.#call(stack, (native, context) => native.createAk(context, kind)));
  }

  /** The EK certificate (DER) from its TCG NV index, or undefined when the index is not defined. */
  async readEkCertificate(kind: KeyKind): Promise<Buffer | undefined> {
    const stack = new Error();
    const index = EK_CERTIFICATE_INDEX[checkKeyKind('kind', kind)];
    const defined = await this.#call(stack, (native, context) => native.nvIsDefined(context, index));
    if (!defined) return undefined;
    return trimDer(await this.#call(stack, (native, context) => native.nvRead(context, index, undefined, 0)));
  }

  async quote(ak: KeyHandle, selection: PcrSelection, qualifyingData: Uint8Array): Promise<QuoteResult> {
    const stack = new Error();
    const key = this.#loadedKey('ak', ak);
    const nativeSelection = toNativeSelection('selection', selection);
    const data = checkBytes('qualifyingData', qualifyingData, 1, MAX_QUALIFYING_DATA);
    return this.#call(stack, (native, context) => native.quote(context, key.handle, nativeSelection, data));
  }

  /** TPMT_SIGNATURE over SHA-256(message); a restricted key refuses messages starting with TPM_GENERATED_VALUE. */
  async sign(key: KeyHandle, message: Uint8Array): Promise<Buffer> {
    const stack = new Error();
    const loaded = this.#loadedKey('key', key);
    const bytes = checkBytes('message', message, 1, MAX_SIGN_MESSAGE);
    return this.#call(stack, (native, context) => native.sign(context, loaded.handle, bytes));
  }

  /**
   * Releases the credential `tpm2_makecredential` (or lib/tpm makeCredential) protected for `ek` and the name of
   * `ak`. `credentialBlob` is the TPM2B_ID_OBJECT contents (integrityHMAC ‖ encIdentity), `secret` the
   * TPM2B_ENCRYPTED_SECRET contents.
   */
  async activateCredential(
    ak: KeyHandle,
    ek: KeyHandle,
    credentialBlob: Uint8Array,
    secret: Uint8Array,
  ): Promise<Buffer> {
    const stack = new Error();
    const akKey = this.#loadedKey('ak', ak);
    const ekKey = this.#loadedKey('ek', ek);
    const blob = checkBytes('credentialBlob', credentialBlob, 1, MAX_ID_OBJECT);
    const encrypted = checkBytes('secret', secret, 1, MAX_ENCRYPTED_SECRET);
    return this.#call(stack, (native, context) =>
      native.activateCredential(context, akKey.handle, ekKey.handle, blob, encrypted),
    );
  }

  /** Seals up to 128 bytes to the current values of the selected PCRs. */
  async seal(data: Uint8Array, selection: PcrSelection): Promise<SealedData> {
    const stack = new Error();
    const bytes = checkBytes('data', data, 1, MAX_SEAL_DATA);
    const nativeSelection = toNativeSelection('selection', selection);
    return this.#call(stack, (native, context) => native.seal(context, bytes, nativeSelection));
  }

  /** Unseals; fails with TpmError rc 0x99d (policy check failed) when the PCRs no longer match. */
  async unseal(sealed: SealedData, selection: PcrSelection): Promise<Buffer> {
    const stack = new Error();
    if (typeof sealed !== 'object' || (sealed as unknown) === null) {
      throw invalidArgument('sealed', 'object { public, private } from seal()', sealed);
    }
    const pub = checkBytes('sealed.public', sealed.public, 1, 1024);
    const priv = checkBytes('sealed.private', sealed.private, 1, 1024);
    const nativeSelection = toNativeSelection('selection', selection);
    return this.#call(stack, (native, context) => native.unseal(context, pub, priv, nativeSelection));
  }

  async nvDefine(index: number, size: number, options: { attributes?: number } = {}): Promise<void> {
    const stack = new Error();
    checkNvIndex('index', index);
    checkInteger('size', size, 1, 65535);
    const attributes = checkInteger('attributes', options.attributes ?? NV_DEFAULT_ATTRIBUTES, 0, 0xffffffff);
    await this.#call(stack, (native, context) => native.nvDefine(context, index, size, attributes));
  }

  async nvWrite(index: number, data: Uint8Array, offset = 0): Promise<void> {
    const stack = new Error();
    checkNvIndex('index', index);
    const bytes = checkBytes('data', data, 1, 65535);
    checkInteger('offset', offset, 0, 65535);
    await this.#call(stack, (native, context) => native.nvWrite(context, index, bytes, offset));
  }

  /** Reads `size` bytes (default: to the end of the index) from `offset`. */
  async nvRead(index: number, size?: number, offset = 0): Promise<Buffer> {
    const stack = new Error();
    checkNvIndex('index', index);
    if (size !== undefined) checkInteger('size', size, 1, 65535);
    checkInteger('offset', offset, 0, 65535);
    return this.#call(stack, (native, context) => native.nvRead(context, index, size, offset));
  }

  async nvUndefine(index: number): Promise<void> {
    const stack = new Error();
    checkNvIndex('index', index);
    await this.#call(stack, (native, context) => native.nvUndefine(context, index));
  }

  /** Unloads a key created by this context (given as the KeyHandle or its `handle`); unusable afterwards. */
  async flush(key: KeyHandle | number): Promise<void> {
    const stack = new Error();
    const loaded = this.#loadedKey('key', typeof key === 'number' ? (this.#keys.get(key) ?? key) : key);
    this.#keys.delete(loaded.handle);
    await this.#call(stack, (native, context) => native.flush(context, loaded.handle));
  }

  #track(key: KeyHandle): KeyHandle {
    const frozen = Object.freeze({ handle: key.handle, public: key.public, name: key.name, kind: key.kind });
    this.#keys.set(frozen.handle, frozen);
    return frozen;
  }

  /** Only keys this context created and has not flushed: ESYS_TR numbers of other contexts would alias. */
  #loadedKey(argument: string, key: unknown): KeyHandle {
    const handle =
      typeof key === 'object' && key !== null && 'handle' in key && typeof key.handle === 'number'
        ? key.handle
        : undefined;
    const loaded = handle === undefined ? undefined : this.#keys.get(handle);
    const name: unknown = typeof key === 'object' && key !== null && 'name' in key ? key.name : undefined;
    if (loaded === undefined || (loaded !== key && !(Buffer.isBuffer(name) && loaded.name.equals(name)))) {
      throw invalidArgument(argument, 'a KeyHandle created by this Tpm and not yet flushed', key);
    }
    return loaded;
  }

  #call<T>(stack: Error, operation: (native: NativeTpmBinding, context: NativeContext) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        toTpmError(
          new TpmError('TPM_CLOSED', `Expected an open TPM context for ${this.tcti} but it was closed`),
          stack,
        ),
      );
    }
    return this.#queue
      .run(() => {
        const context = this.#context;
        if (context === undefined) {
          throw new TpmError('TPM_CLOSED', `Expected an open TPM context for ${this.tcti} but it was closed`);
        }
        return operation(this.#native, context);
      })
      .catch((error: unknown) => {
        throw toTpmError(error, stack);
      });
  }
}
