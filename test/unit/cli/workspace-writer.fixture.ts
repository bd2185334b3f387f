// Child process for workspace-files.test.ts: replaces <path> with <size> bytes of 'a' through
// writeWorkspaceFile, so the test can kill it in the middle of the write.
import { writeWorkspaceFile } from '../../../cli/workspace/files.js';

const [path, size] = process.argv.slice(2);
if (path === undefined || size === undefined) throw new Error('usage: workspace-writer <path> <size>');
await writeWorkspaceFile(path, Buffer.alloc(Number(size), 0x61), { overwrite: true });
