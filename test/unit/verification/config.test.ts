import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { loadVerificationConfig } from '../../../agents/verification/config.js';

t.test('defaults, env, and flags over env', (t) => {
  t.same(loadVerificationConfig([], {}), {
    grpcListen: '0.0.0.0:9090',
    grpcTransport: 'tls',
    httpListen: '0.0.0.0:8080',
    tcti: 'device:/dev/tpmrm0',
    eventLogPath: '/sys/kernel/security/tpm0/binary_bios_measurements',
    logLevel: 'info',
  });
  const config = loadVerificationConfig(['--grpc-listen', '127.0.0.1:0', '--grpc-transport=plaintext'], {
    VERIFICATION_TCTI: 'swtpm:host=127.0.0.1,port=2321',
    VERIFICATION_GRPC_LISTEN: '0.0.0.0:1',
    VERIFICATION_LOG_TRANSPORT: 'stderr-text',
  });
  t.equal(config.grpcListen, '127.0.0.1:0', 'the flag wins over the environment');
  t.equal(config.grpcTransport, 'plaintext');
  t.equal(config.tcti, 'swtpm:host=127.0.0.1,port=2321');
  t.equal(config.logTransport, 'stderr-text');
  t.equal(
    loadVerificationConfig(['--grpc-listen', '[::1]:9', '--grpc-transport', 'plaintext'], {}).grpcListen,
    '[::1]:9',
  );
  t.end();
});

t.test('invalid settings: InputError CONFIG_INVALID naming each problem', (t) => {
  t.throws(() => loadVerificationConfig(['--http-listen', 'nope', '--log-level', 'loud', '--what', 'x'], {}), {
    constructor: InputError,
    code: 'CONFIG_INVALID',
    message: /3 problems[\s\S]*--what[\s\S]*--http-listen[\s\S]*--log-level/,
  });
  t.throws(() => loadVerificationConfig(['--grpc-transport', 'h2c'], {}), {
    code: 'CONFIG_INVALID',
    message: /tls, plaintext/,
  });
  t.throws(() => loadVerificationConfig(['--grpc-listen', '10.0.0.1:9090', '--grpc-transport', 'plaintext'], {}), {
    constructor: InputError,
    code: 'CONFIG_INVALID',
    message: /expected "tls" for the non-loopback address 10\.0\.0\.1:9090/,
  });
  t.end();
});
