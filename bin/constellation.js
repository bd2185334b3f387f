#!/usr/bin/env node
// Launcher for the `constellation` CLI: loads the compiled program (`npm run build` writes dist/) and turns
// the command's result into the process exit code. All logic lives in cli/; nothing calls process.exit.
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
