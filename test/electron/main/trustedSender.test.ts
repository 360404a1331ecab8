import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTrustedSenderCheck } from '../../../electron/main/trustedSender';

const INDEX_FILE = join('/opt', 'InterviewLM', 'resources', 'app.asar', 'out', 'renderer', 'index.html');
const INDEX_URL = pathToFileURL(INDEX_FILE).href;

describe('createTrustedSenderCheck', () => {
  const packaged = createTrustedSenderCheck({ rendererIndexFile: INDEX_FILE, platform: 'linux' });
  const development = createTrustedSenderCheck({ rendererIndexFile: INDEX_FILE, devServerUrl: 'http://localhost:5173/', platform: 'linux' });

  it('trusts the built index.html, with any query or hash', () => {
    expect(packaged(INDEX_URL)).toBe(true);
    expect(packaged(`${INDEX_URL}?view=replay#/sessions/ses_1`)).toBe(true);
  });

  it('refuses every other file, even next to index.html', () => {
    expect(packaged(pathToFileURL(join(INDEX_FILE, '..', 'other.html')).href)).toBe(false);
    expect(packaged(pathToFileURL('/home/candidate/Downloads/index.html').href)).toBe(false);
    expect(packaged('file://fileserver/opt/InterviewLM/resources/app.asar/out/renderer/index.html')).toBe(false);
  });

  it('refuses web pages, opaque URLs and garbage', () => {
    for (const url of ['https://attacker.example/', 'http://localhost:5173/', 'about:blank', 'data:text/html,<p>hi', 'devtools://devtools/bundled/inspector.html', '', 'not a url']) {
      expect(packaged(url)).toBe(false);
    }
  });

  it('trusts the dev server origin only when one is given, and only that origin', () => {
    expect(development('http://localhost:5173/')).toBe(true);
    expect(development('http://localhost:5173/index.html#/x')).toBe(true);
    expect(development('http://localhost:5174/')).toBe(false);
    expect(development('https://localhost:5173/')).toBe(false);
    expect(development('http://127.0.0.1:5173/')).toBe(false);
    expect(development(INDEX_URL)).toBe(true);
  });

  it('compares Windows paths without regard to case', () => {
    const windows = createTrustedSenderCheck({ rendererIndexFile: 'C:\\Program Files\\InterviewLM\\resources\\app.asar\\out\\renderer\\index.html', platform: 'win32' });
    expect(windows('file:///c:/program%20files/InterviewLM/resources/app.asar/out/renderer/index.html')).toBe(true);
    expect(windows('file:///C:/Program%20Files/InterviewLM/resources/app.asar/out/renderer/other.html')).toBe(false);
  });
});
