// `constellation attestation verify`: verifies stored evidence offline against its trust anchors and a
// policy, prints the verified state and every violation. A thin layer: flags → document → lib verifiers.
import { Command, Option } from 'commander';
import { parsePolicy } from '../../lib/attestation/policy/policy-parser.js';
import { DEFAULT_POLICY, type Policy } from '../../lib/attestation/policy/policy.js';
import { PolicyError } from '../../lib/errors.js';
import { enforcePolicy } from '../../lib/attestation/policy-result.js';
import { useColor, type CliIo } from '../cli-io.js';
import { ExitCode } from '../exit-codes.js';
import { reportError } from '../error-report.js';
import { COLLATERAL_FILE_HELP } from '../attestation/collateral-dir.js';
import { loadEvidence } from '../attestation/evidence-loader.js';
import { readInputFile } from '../attestation/input-file.js';
import { renderJson, renderTable, renderText, type VerifyOutcome } from '../attestation/report-output.js';
import { verifyStoredEvidence } from '../attestation/stored-evidence-verifier.js';
import { validateVerifyFlags, type VerifyFlags, type VerifyRequest } from '../attestation/verify-flags.js';

const HELP_COMMAND = 'constellation attestation verify --help';

const EXAMPLES = `
Evidence forms (give exactly one):
  --document <file>                       an attestation document (protobuf or JSON)
  --snp-report <file> --signer-cert <file> [--cert-chain <pem>]
  --tdx-quote <file> [--collateral-dir <dir>] [--cc-event-log <file> [--ccel-table <file>]]
  --tpm-attest <file> --tpm-signature <file> --ak-public <file> --pcrs <json> [--event-log <file>]
  --gcp-attestation <file>                go-tpm-tools attest.Attestation (.pb); AK certificate checked
                                          against Google's vTPM CA (or --ak-ca)
  --azure-quote <file> --ak-public <pem>  Azure vTPM quote container (quote.bin)

Freshness: --nonce <hex> is the exact TPM qualifying data, or the TEE report data zero-padded to 64 bytes;
--nonce "" expects none. --any-nonce accepts whatever the evidence carries (for inspecting stored evidence).
For raw TPM forms the AK you pass is trusted as given: check where it came from.

Collateral directory (--collateral-dir) file names:
${COLLATERAL_FILE_HELP}

--pcrs file: {"sha256": {"0": "<hex>", "7": "<hex>", …}} (one bank, the quoted PCRs).
--policy file: JSON {"tpm": {…}, "snp": {…}, "tdx": {…}, "akTrust": […]}; unknown keys are errors.

Examples:
  $ constellation attestation verify --snp-report report.bin --signer-cert vcek.der --nonce 0102030405
  $ constellation attestation verify --tdx-quote quote.dat --collateral-dir pcs/ --time 2023-07-01T01:00:00Z --any-nonce
  $ constellation attestation verify --gcp-attestation attestation.pb --nonce 9009 --output json
  $ constellation attestation verify --document node-1.att --ak-ca swtpm-ca.pem --nonce "$NONCE" --policy policy.json`;

export function makeAttestationVerifyCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('verify')
    .description('Verify stored attestation evidence offline and check it against a policy')
    .option('--document <file>', 'attestation document (protobuf or JSON)')
    .option('--snp-report <file>', 'raw AMD SEV-SNP attestation report (1184 bytes)')
    .option('--signer-cert <file>', 'VCEK or VLEK certificate that signed --snp-report (DER or PEM)')
    .option('--cert-chain <file>', 'ASK/ASVK + ARK bundle (PEM); default: the AMD chain shipped for the product')
    .option('--tdx-quote <file>', 'raw Intel TDX quote (v4 or v5)')
    .option('--collateral-dir <dir>', 'Intel PCS collateral for the TDX quote (TCB info, QE identity, CRLs)')
    .option('--cc-event-log <file>', 'TDX CC event log area (replayed into RTMR0-3)')
    .option('--ccel-table <file>', 'ACPI CCEL table describing --cc-event-log')
    .option('--tpm-attest <file>', 'TPMS_ATTEST of a TPM quote')
    .option('--tpm-signature <file>', 'TPMT_SIGNATURE over --tpm-attest (a bare RSA signature is accepted)')
    .option('--ak-public <file>', 'attestation key: TPMT_PUBLIC, TPM2B_PUBLIC or PEM public key')
    .option('--pcrs <file>', 'JSON with the quoted PCR values')
    .option('--event-log <file>', 'TCG event log to replay against the quoted PCRs')
    .option('--gcp-attestation <file>', 'GCE go-tpm-tools attest.Attestation protobuf')
    .option('--azure-quote <file>', 'Azure vTPM quote container (quote.bin)')
    .option('--ak-ca <pem>', 'root certificate(s) the AK certificate must chain to')
    .option('--ak-name <hex...>', 'accepted AK name(s) for a document (pins the AK)')
    .option('--nonce <hex>', 'expected qualifying data / report data (hex; "" for none)')
    .option('--any-nonce', 'accept any qualifying/report data (inspecting stored evidence only)')
    .option('--policy <file>', 'policy JSON (default: secure defaults, no expected measurements)')
    .option('--time <iso-8601>', 'verification time for certificate and collateral validity (default: now)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: VerifyFlags) => {
      done(await runAttestationVerify(flags, io));
    });
}

/** Runs the command with already-parsed flags; returns the exit code and never throws. */
export async function runAttestationVerify(flags: VerifyFlags, io: CliIo, clock?: () => Date): Promise<ExitCode> {
  let request: VerifyRequest | undefined;
  let outcome: VerifyOutcome;
  try {
    request = validateVerifyFlags(flags, clock);
    const policy = await loadPolicy(io, flags.policy);
    const evidence = await loadEvidence(io, request);
    const progress = io.stderr.isTTY === true && request.output === 'text';
    if (progress) io.stderr.write(`Verifying ${evidence.description}…\n`);
    const report = await verifyStoredEvidence({ ...evidence, policy, nonce: request.nonce, now: request.now });
    try {
      enforcePolicy(report.policy, report.evidence);
      outcome = { exitCode: ExitCode.OK, report };
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      outcome = { exitCode: ExitCode.POLICY_REJECTED, report, error };
    }
  } catch (error) {
    const exitCode = reportError(io, error, HELP_COMMAND);
    outcome = { exitCode, error };
  }
  const format = request?.output ?? (flags.output === 'json' ? 'json' : 'text');
  if (format === 'json') {
    io.stdout.write(renderJson(outcome));
    if (outcome.error !== undefined && outcome.exitCode === ExitCode.POLICY_REJECTED) {
      reportError(io, outcome.error, HELP_COMMAND);
    }
  } else {
    io.stdout.write(io.stdout.isTTY === true ? renderTable(outcome, useColor(io, io.stdout)) : renderText(outcome));
    if (outcome.exitCode === ExitCode.POLICY_REJECTED) reportError(io, outcome.error, HELP_COMMAND);
  }
  return outcome.exitCode;
}

async function loadPolicy(io: CliIo, path: string | undefined): Promise<Policy> {
  if (path === undefined) return DEFAULT_POLICY;
  return parsePolicy((await readInputFile(io, path, '--policy')).toString('utf8'));
}
