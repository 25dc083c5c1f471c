#!/usr/bin/env node
// `npm run test:e2e`: builds the page (the e2e tier tests the production build) and runs Playwright,
// passing any extra arguments through, e.g. `npm run test:e2e -- e2e/lab.spec.ts --project build`.
import { spawnSync } from 'node:child_process';

const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
