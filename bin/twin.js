#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx compiles on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
// Every command closes what it opened; this only guards against a stray handle keeping a finished
// command alive (the timer is unref'd, so it never delays a clean exit).
setTimeout(() => process.exit(), 3000).unref();
