// TPM2_Shutdown(SU_CLEAR) on a swtpm's data socket: what an operating system sends before it powers off or
// reboots. Without it the TPM counts the power loss as a possible dictionary attack (TPM 2.0 Part 1, §19.8.6:
// a non-orderly shutdown after a DA-protected object was used increments failedTries), and after a few such
// power cycles (swtpm's default maxTries is 3) every use of the EK fails with TPM_RC_LOCKOUT.
// swtpm's data channel takes raw TPM commands; the caller must be its only client (no other TPM user running).
import { connect } from 'node:net';
import { ConstellationError } from '../errors.js';

/** TPM_ST_NO_SESSIONS, size 12, TPM_CC_Shutdown (0x145), TPM_SU_CLEAR (0x0000). */
const SHUTDOWN_CLEAR = Buffer.from('80010000000c000001450000', 'hex');
const RESPONSE_HEADER_BYTES = 10;
const TIMEOUT_MS = 5000;

/** Sends TPM2_Shutdown(SU_CLEAR) and checks the response code; rejects with SWTPM_SHUTDOWN_FAILED. */
export function shutdownTpmOrderly(socketPath: string): Promise<void> {
  return new Promise((resolveShutdown, reject) => {
    const socket = connect(socketPath);
    let response = Buffer.alloc(0);
    const fail = (found: string): void => {
      socket.destroy();
      reject(
        new ConstellationError(
          'SWTPM_SHUTDOWN_FAILED',
          `Expected TPM2_Shutdown(SU_CLEAR) on ${socketPath} to succeed, found ${found}`,
        ),
      );
    };
    socket.setTimeout(TIMEOUT_MS, () => {
      fail(`no response within ${TIMEOUT_MS} ms`);
    });
    socket.once('error', (error) => {
      fail(error.message);
    });
    socket.once('connect', () => socket.write(SHUTDOWN_CLEAR));
    socket.on('data', (chunk: Buffer) => {
      response = Buffer.concat([response, chunk]);
      if (response.length < RESPONSE_HEADER_BYTES) return;
      socket.destroy();
      const responseCode = response.readUInt32BE(6);
      if (responseCode === 0) resolveShutdown();
      else fail(`response code 0x${responseCode.toString(16).padStart(8, '0')}`);
    });
  });
}
