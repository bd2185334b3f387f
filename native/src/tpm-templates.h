// Public-area templates for the keys this module creates (TCG EK Credential Profile 2.0 §B.3.3, go-tpm-tools AK).
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include <string>

namespace tpm2 {

enum class KeyKind { kRsa, kEcc };

KeyKind ParseKeyKind(const std::string& kind);
const char* KeyKindName(KeyKind kind);

// Template L-1 (RSA-2048) or L-2 (ECC NIST P-256) with the PolicySecret(TPM_RH_ENDORSEMENT) authPolicy.
TPM2B_PUBLIC EkTemplate(KeyKind kind);
// Restricted signing key: RSA-2048 RSASSA-SHA256 or ECC P-256 ECDSA-SHA256.
TPM2B_PUBLIC AkTemplate(KeyKind kind);
// ECC P-256 restricted decryption key (AES-128-CFB) used as the parent of sealed objects.
TPM2B_PUBLIC SrkTemplate();
// Keyed-hash object holding sealed data, usable only through `policy`.
TPM2B_PUBLIC SealedObjectTemplate(const TPM2B_DIGEST& policy);

}  // namespace tpm2
