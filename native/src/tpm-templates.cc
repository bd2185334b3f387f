#include "tpm-templates.h"

#include <cstring>

#include "tpm-failure.h"

namespace tpm2 {

namespace {

// PolicySecret(TPM_RH_ENDORSEMENT) digest, the standard EK authPolicy (EK Credential Profile, B.3.2).
const uint8_t kEkPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                               0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                               0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

const TPMA_OBJECT kEkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                  TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
const TPMA_OBJECT kAkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                  TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
const TPMA_OBJECT kSrkAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                   TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
                                   TPMA_OBJECT_DECRYPT;

TPMT_SYM_DEF_OBJECT Aes128Cfb() {
  TPMT_SYM_DEF_OBJECT sym{};
  sym.algorithm = TPM2_ALG_AES;
  sym.keyBits.aes = 128;
  sym.mode.aes = TPM2_ALG_CFB;
  return sym;
}

TPMT_SYM_DEF_OBJECT NoSymmetric() {
  TPMT_SYM_DEF_OBJECT sym{};
  sym.algorithm = TPM2_ALG_NULL;
  return sym;
}

}  // namespace

KeyKind ParseKeyKind(const std::string& kind) {
  if (kind == "rsa") return KeyKind::kRsa;
  if (kind == "ecc") return KeyKind::kEcc;
  throw TpmFailure("INVALID_ARGUMENT", 0, "Expected 'rsa' or 'ecc' for kind but received " + kind);
}

const char* KeyKindName(KeyKind kind) { return kind == KeyKind::kRsa ? "rsa" : "ecc"; }

TPM2B_PUBLIC EkTemplate(KeyKind kind) {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = kEkAttributes;
  area.authPolicy.size = sizeof(kEkPolicy);
  std::memcpy(area.authPolicy.buffer, kEkPolicy, sizeof(kEkPolicy));
  if (kind == KeyKind::kRsa) {
    area.type = TPM2_ALG_RSA;
    area.parameters.rsaDetail.symmetric = Aes128Cfb();
    area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    area.parameters.rsaDetail.keyBits = 2048;
    area.parameters.rsaDetail.exponent = 0;
    area.unique.rsa.size = 256;  // the template's unique field is 256 zero bytes
  } else {
    area.type = TPM2_ALG_ECC;
    area.parameters.eccDetail.symmetric = Aes128Cfb();
    area.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    area.unique.ecc.x.size = 32;
    area.unique.ecc.y.size = 32;
  }
  return pub;
}

TPM2B_PUBLIC AkTemplate(KeyKind kind) {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = kAkAttributes;
  if (kind == KeyKind::kRsa) {
    area.type = TPM2_ALG_RSA;
    area.parameters.rsaDetail.symmetric = NoSymmetric();
    area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    area.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    area.parameters.rsaDetail.keyBits = 2048;
    area.parameters.rsaDetail.exponent = 0;
  } else {
    area.type = TPM2_ALG_ECC;
    area.parameters.eccDetail.symmetric = NoSymmetric();
    area.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    area.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return pub;
}

TPM2B_PUBLIC SrkTemplate() {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = kSrkAttributes;
  area.parameters.eccDetail.symmetric = Aes128Cfb();
  area.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return pub;
}

TPM2B_PUBLIC SealedObjectTemplate(const TPM2B_DIGEST& policy) {
  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.type = TPM2_ALG_KEYEDHASH;
  area.nameAlg = TPM2_ALG_SHA256;
  // No userWithAuth: the data can only be released through the PCR policy.
  area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  area.authPolicy = policy;
  area.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  return pub;
}

}  // namespace tpm2
