// The raw surface of tpm2-<os>-<arch>.node, as the C++ exports it. Only native/ sees these shapes; the Tpm class
// turns them into the typed public API. Selections travel as [TPM_ALG_ID, 24-bit PCR mask] pairs.

/** An open ESYS context (an External; opaque to JS). */
export type NativeContext = object & { readonly __nativeTpmContext: unique symbol };

export type NativeSelection = readonly (readonly [alg: number, mask: number])[];

export interface NativeLoadedObject {
  readonly handle: number;
  readonly public: Buffer;
  readonly name: Buffer;
}

export interface NativeTpmBinding {
  open(tcti: string): Promise<NativeContext>;
  close(context: NativeContext): Promise<void>;
  getRandom(context: NativeContext, size: number): Promise<Buffer>;
  pcrRead(
    context: NativeContext,
    selection: NativeSelection,
  ): Promise<{ updateCounter: number; digests: [alg: number, pcr: number, digest: Buffer][] }>;
  pcrExtend(context: NativeContext, pcr: number, digests: readonly (readonly [number, Uint8Array])[]): Promise<void>;
  readPublic(context: NativeContext, handle: number): Promise<{ public: Buffer; name: Buffer }>;
  createEk(context: NativeContext, kind: 'rsa' | 'ecc'): Promise<NativeLoadedObject & { kind: 'rsa' | 'ecc' }>;
  createAk(context: NativeContext, kind: 'rsa' | 'ecc'): Promise<NativeLoadedObject & { kind: 'rsa' | 'ecc' }>;
  flush(context: NativeContext, handle: number): Promise<void>;
  quote(
    context: NativeContext,
    key: number,
    selection: NativeSelection,
    qualifyingData: Uint8Array,
  ): Promise<{ attest: Buffer; signature: Buffer }>;
  sign(context: NativeContext, key: number, message: Uint8Array): Promise<Buffer>;
  activateCredential(
    context: NativeContext,
    ak: number,
    ek: number,
    credentialBlob: Uint8Array,
    secret: Uint8Array,
  ): Promise<Buffer>;
  seal(
    context: NativeContext,
    data: Uint8Array,
    selection: NativeSelection,
  ): Promise<{ public: Buffer; private: Buffer }>;
  unseal(context: NativeContext, pub: Uint8Array, priv: Uint8Array, selection: NativeSelection): Promise<Buffer>;
  nvDefine(context: NativeContext, index: number, size: number, attributes: number): Promise<void>;
  nvUndefine(context: NativeContext, index: number): Promise<void>;
  nvRead(context: NativeContext, index: number, size: number | undefined, offset: number): Promise<Buffer>;
  nvWrite(context: NativeContext, index: number, data: Uint8Array, offset: number): Promise<void>;
  nvIsDefined(context: NativeContext, index: number): Promise<boolean>;
}
