#!/usr/bin/env node
/**
 * Builds better-sqlite3's native addon for Electron's ABI into
 * build/electron-native/better_sqlite3.node, where the main process (electron/main/sqliteBinding.ts)
 * and electron-builder.yml (extraResources) look for it.
 *
 * node_modules/better-sqlite3 is never touched: it stays built for Node, so `npm test` keeps
 * working. The package is copied to build/electron-native/better-sqlite3 and compiled there
 * with node-gyp against Electron's headers, which are downloaded from electronjs.org; without
 * that download (offline) the build cannot succeed, and this script says so and exits 1.
 *
 * Usage: node electron/scripts/build-electron-native.mjs [--force]
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT_DIR = join(ROOT, 'build', 'electron-native');
const ADDON = join(OUT_DIR, 'better_sqlite3.node');
/** What the addon in OUT_DIR was built for; a mismatch means it must be rebuilt. */
const STAMP = join(OUT_DIR, 'better_sqlite3.build.json');
const WORK_DIR = join(OUT_DIR, 'better-sqlite3');
const HEADERS_URL = 'https://electronjs.org/headers';

class BuildError extends Error {}

function readVersion(packageName) {
  const manifest = join(ROOT, 'node_modules', packageName, 'package.json');
  if (!existsSync(manifest)) throw new BuildError(`${packageName} is missing from node_modules; run npm install first.`);
  return JSON.parse(readFileSync(manifest, 'utf8')).version;
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return null;
  }
}

const sameTarget = (a, b) => a !== null && ['electron', 'betterSqlite3', 'platform', 'arch'].every((key) => a[key] === b[key]);

/** node-gyp as [command, args]: the project's own copy, or npx's when it has none. */
function nodeGypCommand() {
  try {
    const script = createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
    return [process.execPath, [script]];
  } catch {
    return [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', 'node-gyp']];
  }
}

/** Runs a command, echoing its output, and resolves with its exit code and the tail of stderr. */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-64 * 1024);
    });
    child.on('error', (error) => resolve({ code: -1, stderr: `${stderr}\n${error.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stderr }));
  });
}

/** Why node-gyp failed, in one line, and whether it was the headers download. */
function diagnose(stderr) {
  const lines = stderr.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  // node-gyp prints the error message as the first "stack" lines, before the "at ..." frames.
  const message = [];
  for (const line of lines.filter((l) => l.startsWith('gyp ERR! stack')).map((l) => l.slice('gyp ERR! stack'.length).trim())) {
    if (line.startsWith('at ')) break;
    message.push(line);
  }
  const reason = message.join(' ') || lines.filter((l) => l.startsWith('gyp ERR!')).at(-1) || lines.at(-1) || 'no output';
  const download = lines.filter((l) => l.startsWith('gyp http GET')).at(-1)?.split(' ').at(-1);
  const offline = /network connectivity|proxy|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|getaddrinfo|fetch failed|socket hang up/i.test(reason);
  return { reason, offline, download };
}

async function build({ force }) {
  const target = { electron: readVersion('electron'), betterSqlite3: readVersion('better-sqlite3'), platform: process.platform, arch: process.arch };
  if (!force && existsSync(ADDON) && sameTarget(readStamp(), target)) {
    console.log(`InterviewLM: better-sqlite3 ${target.betterSqlite3} for Electron ${target.electron} is up to date (${relative(ROOT, ADDON)}).`);
    return;
  }

  // A stale addon must not outlive a failed rebuild: the app would load it and crash on the ABI.
  rmSync(ADDON, { force: true });
  rmSync(STAMP, { force: true });
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });

  const source = realpathSync(join(ROOT, 'node_modules', 'better-sqlite3'));
  // Its Node-ABI build/ stays behind: node-gyp must start from the sources alone.
  cpSync(source, WORK_DIR, {
    recursive: true,
    filter: (path) => {
      const first = relative(source, path).split(sep)[0];
      return first !== 'build' && first !== 'node_modules';
    },
  });

  console.log(`InterviewLM: building better-sqlite3 ${target.betterSqlite3} for Electron ${target.electron} (${target.platform}-${target.arch})...`);
  const [command, prefix] = nodeGypCommand();
  const args = [...prefix, 'rebuild', '--release', '--runtime=electron', `--target=${target.electron}`, `--dist-url=${HEADERS_URL}`, `--arch=${target.arch}`, '--jobs=max'];
  const { code, stderr } = await run(command, args, { cwd: WORK_DIR, shell: command.endsWith('.cmd') });
  if (code !== 0) {
    const { reason, offline, download } = diagnose(stderr);
    throw new BuildError(
      offline
        ? `could not build better-sqlite3 for Electron ${target.electron}: Electron's headers could not be downloaded (${download ?? HEADERS_URL}); this needs internet access. node-gyp said: ${reason}`
        : `could not build better-sqlite3 for Electron ${target.electron}: node-gyp failed (${reason}); this needs Python and a C++ toolchain, see https://github.com/nodejs/node-gyp#installation`,
    );
  }

  const built = join(WORK_DIR, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(built)) throw new BuildError(`node-gyp succeeded but ${relative(ROOT, built)} is missing.`);
  copyFileSync(built, ADDON);
  writeFileSync(STAMP, `${JSON.stringify({ ...target, builtAt: new Date().toISOString() }, null, 2)}\n`);
  rmSync(WORK_DIR, { recursive: true, force: true });
  console.log(`InterviewLM: built ${relative(ROOT, ADDON)}.`);
}

build({ force: process.argv.includes('--force') }).catch((error) => {
  console.error(`InterviewLM: ${error instanceof BuildError ? error.message : (error?.stack ?? String(error))}`);
  process.exit(1);
});
