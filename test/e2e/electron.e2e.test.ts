import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer } from '../helpers/anthropicLoopbackServer';
import { recordedText } from '../helpers/recordedText';
import { startLocalS3, type LocalS3 } from '../helpers/s3rverServer';
import { makeTempDir } from '../helpers/tempServices';
import { WALK_TYPED, walkInterview } from './interviewWalk';

/*
 * The interview walk of interview.e2e.test.ts in the Electron app itself, through Playwright's
 * _electron: the real main process, preload bridge and window, with the services configured
 * by environment variables as a launcher would. Skipped, with the reason printed, where the
 * Electron binary or better-sqlite3 built for its ABI is missing (this machine cannot
 * download either; the browser shell spec covers the same walk here).
 */

const ROOT = join(import.meta.dirname, '../..');
const ELECTRON_DIR = join(ROOT, 'node_modules/electron');
const SCREENSHOTS = join(ROOT, 'test-results/e2e-electron');
const KEY = 'sk-ant-electron-e2e';
const ANSWER = 'Read the examples first, then the constraints.';

/** The Electron binary, or why there is none. */
function electronBinary(): { path: string } | { missing: string } {
  const pathFile = join(ELECTRON_DIR, 'path.txt');
  if (!existsSync(pathFile)) return { missing: 'the Electron binary is not installed (node_modules/electron/path.txt is absent: its download cannot run on this machine)' };
  const binary = join(ELECTRON_DIR, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `the Electron binary ${binary} is missing` };
}

const binary = electronBinary();
const skipReason = 'missing' in binary ? binary.missing : null;
if (skipReason) console.warn(`[e2e] the Electron spec is skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)(`the interview walk in the Electron app${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let s3: LocalS3;
  let anthropic: AnthropicLoopbackServer;
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    // better-sqlite3 for Electron's ABI, then main, preload and page, as `npm start` does.
    for (const script of [join(ROOT, 'electron/scripts/build-electron-native.mjs'), join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js')]) {
      const args = script.endsWith('electron-vite.js') ? [script, 'build'] : [script];
      const build = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`${args.join(' ')} failed: ${build.stderr || build.stdout}`);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    temp = makeTempDir();
    s3 = await startLocalS3();
    anthropic = await startAnthropicLoopbackServer({ apiKey: KEY, defaultAnswer: { kind: 'text', text: ANSWER, deltas: 6, delayMs: 20 } });
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      INTERVIEWLM_DATA_DIR: temp.dir,
      AWS_S3_BUCKET: s3.bucket,
      AWS_REGION: s3.region,
      AWS_S3_ENDPOINT: s3.endpoint,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
    };
    // Set, it would make Electron run as plain Node and never open a window.
    delete env.ELECTRON_RUN_AS_NODE;
    app = await electron.launch({ executablePath: (binary as { path: string }).path, args: [ROOT, '--no-sandbox'], cwd: ROOT, env });
    page = await app.firstWindow();
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await anthropic?.close();
    await s3?.dispose();
    temp?.cleanup();
  });

  it('walks a whole interview, and the recording in S3 equals the one the app kept locally', async () => {
    const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    await walkInterview({ page, shot, s3, candidateId: 'cand_electron', assistantAnswer: ANSWER });
    await app.close();

    // The app has quit and released its data folder: open it here, as a reviewer's tool would.
    const services = createServices(
      configForDataDir(temp.dir, {
        storage: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      }),
      { syncRunner: 'none' },
    );
    try {
      const sessionId = services.database.db.prepare<[], { id: string }>("SELECT id FROM sessions WHERE candidate_id = 'cand_electron'").get()!.id;
      expect((await services.sessions.getSession(sessionId)).syncState).toBe('SYNCED');
      const downloaded = await services.storage!.downloadSessionRecording(sessionId);
      expect(downloaded.events).toEqual(services.replay.getAllEvents(sessionId));
      const typed = recordedText(services, sessionId);
      for (const text of WALK_TYPED) expect(typed).toContain(text);
    } finally {
      await services.shutdown();
    }
  }, 300_000);
});
