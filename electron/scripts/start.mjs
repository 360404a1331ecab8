#!/usr/bin/env node
/**
 * `npm start`: builds and launches the desktop app.
 *
 * 1. The Electron runtime: npm does not run electron's postinstall here (package.json
 *    allowScripts), so the binary may be missing. Then its installer is tried once; if that
 *    fails (no access to its download host), one line says so and the browser shell starts
 *    instead: `electron-vite build`, then electron/browserShell/main.ts under tsx, which
 *    prints the address to open.
 * 2. better-sqlite3 for Electron's ABI (build-electron-native.mjs), unless
 *    INTERVIEWLM_SQLITE_BINDING names an addon already.
 * 3. `electron-vite build`, then Electron on the project folder (package.json "main").
 *
 * Extra arguments are passed to Electron: `npm start -- --enable-logging`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');
/** Written by electron's installer once the binary is in place. */
const ELECTRON_PATH_FILE = join(ELECTRON_DIR, 'path.txt');
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;
const ELECTRON_VITE = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');

function fail(message) {
  console.error(`InterviewLM: ${message}`);
  process.exit(1);
}

/** The first line of an installer's output that says what went wrong (not a stack frame). */
function firstReason(output) {
  const line = output
    .split(/\r?\n/)
    .map((text) => text.trim())
    .find((text) => text && !text.startsWith('at '));
  return line ?? 'no output';
}

/** Installs the Electron binary if needed; returns why it cannot run here, or null when it can. */
function ensureElectronRuntime() {
  if (!existsSync(join(ELECTRON_DIR, 'package.json'))) return 'the electron package is not in node_modules';
  if (existsSync(ELECTRON_PATH_FILE)) return null;
  const install = spawnSync(process.execPath, [join(ELECTRON_DIR, 'install.js')], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (install.status === 0 && existsSync(ELECTRON_PATH_FILE)) return null;
  const reason = install.error
    ? install.error.code === 'ETIMEDOUT'
      ? `the download did not finish in ${INSTALL_TIMEOUT_MS / 60000} minutes`
      : install.error.message
    : firstReason(`${install.stderr ?? ''}\n${install.stdout ?? ''}`);
  return `it cannot be downloaded on this machine: ${reason}`;
}

/** Runs a step of the build with its output shown; exits with its code if it fails. */
function step(args) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error) fail(`${args.join(' ')} could not run: ${result.error.message}`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function launchElectron() {
  // electron's index.js resolves the binary from path.txt.
  const electronBinary = createRequire(import.meta.url)(ELECTRON_DIR);
  const env = { ...process.env };
  // Set, it would make Electron behave as plain Node and never open a window.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electronBinary, [ROOT, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => fail(`Electron could not be started: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * The same services in a Node process, serving the page to a browser on 127.0.0.1. The page
 * is rebuilt first, as for Electron, so it never lags the sources; the shell runs on plain
 * Node, so better-sqlite3 keeps its Node build.
 */
function launchBrowserShell() {
  step([ELECTRON_VITE, 'build']);
  const env = { ...process.env };
  // That variable names an addon built for Electron's ABI, which plain Node cannot load.
  delete env.INTERVIEWLM_SQLITE_BINDING;
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'electron', 'browserShell', 'main.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
    env,
  });
  // The shell shuts down once however many copies of a Ctrl-C reach it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => fail(`the browser shell could not be started: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const missingRuntime = ensureElectronRuntime();
if (missingRuntime) {
  console.error(`InterviewLM: the Electron runtime is not installed here (${missingRuntime}); starting the browser shell instead.`);
  launchBrowserShell();
} else {
  if (!process.env.INTERVIEWLM_SQLITE_BINDING) step([join(ROOT, 'electron', 'scripts', 'build-electron-native.mjs')]);
  step([ELECTRON_VITE, 'build']);
  launchElectron();
}
