import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, chromiumAvailable } from '../helpers/chromium';
import { CdpCommandError, launchUninstrumentedChromium, type UninstrumentedChromium, type UninstrumentedPage } from './uninstrumentedChromium';

/*
 * The app bench's second driver: Chromium over a bare DevTools connection, with no domain on.
 * It must still do what the bench's load needs: open a fresh page, type into it, click, and
 * read the page's values back, with nothing but 127.0.0.1 reachable.
 */

const PAGE = `<!doctype html>
<input id="candidate">
<button id="start" style="position:absolute;left:100px;top:100px;width:80px;height:30px">Start</button>
<script>
  document.getElementById('start').addEventListener('click', (event) => {
    document.title = 'started by ' + document.getElementById('candidate').value + (event.isTrusted ? ' (trusted)' : '');
  });
</script>`;

/** Navigates and waits for the page to be parsed: navigate resolves once the document is committed. */
async function open(page: UninstrumentedPage, url: string): Promise<void> {
  await page.navigate(url);
  await page.evaluate(`new Promise((resolve) => document.readyState === 'loading' ? addEventListener('DOMContentLoaded', () => resolve(true)) : resolve(true))`);
}

describe.skipIf(!chromiumAvailable())(`Chromium without DevTools domains (${CHROMIUM_PATH})`, () => {
  let server: Server;
  let port: number;
  let browser: UninstrumentedChromium;

  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    browser = await launchUninstrumentedChromium();
  });

  /** Runs `test` on a fresh page, closed afterwards whatever happens. */
  async function withPage(test: (page: UninstrumentedPage) => Promise<void>): Promise<void> {
    const page = await browser.newPage();
    try {
      await test(page);
    } finally {
      await page.close();
    }
  }

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('types into the focused input and clicks with the mouse, as a candidate would', async () => {
    await withPage(async (page) => {
      await open(page, `http://127.0.0.1:${port}/`);
      await page.evaluate(`document.getElementById('candidate').focus()`);
      await page.insertText('cand_7');
      await page.click(140, 115);
      expect(await page.evaluate<string>('document.title')).toBe('started by cand_7 (trusted)');
    });
  });

  it('presses keys as a keyboard does: keydown with its text, keyup, and modifiers that type nothing', async () => {
    await withPage(async (page) => {
      await open(page, `http://127.0.0.1:${port}/`);
      await page.evaluate(`(() => {
        const input = document.getElementById('candidate');
        window.keys = [];
        for (const type of ['keydown', 'keyup']) input.addEventListener(type, (event) => keys.push(type + ' ' + event.key + ' ' + event.code + (event.ctrlKey ? ' ctrl' : '') + (event.isTrusted ? '' : ' untrusted')));
        input.focus();
        return true;
      })()`);
      for (const key of ['a', 'Space', '7']) await page.press(key);
      await page.press('a', ['Control']);
      await page.press('End');
      expect(await page.evaluate<string>(`document.getElementById('candidate').value`)).toBe('a 7');
      expect(await page.evaluate<string[]>('keys')).toEqual([
        'keydown a KeyA', 'keyup a KeyA', 'keydown   Space', 'keyup   Space', 'keydown 7 Digit7', 'keyup 7 Digit7',
        'keydown a KeyA ctrl', 'keyup a KeyA ctrl', 'keydown End End', 'keyup End End',
      ]);
      const unknownKey = page.press('F13');
      await expect(unknownKey).rejects.toBeInstanceOf(RangeError);
      await expect(unknownKey).rejects.toThrow('no key definition for "F13"');
    });
  });

  it('awaits a promise the page returns, and names an exception thrown in the page', async () => {
    await withPage(async (page) => {
      await open(page, `http://127.0.0.1:${port}/`);
      expect(await page.evaluate<number>('new Promise((resolve) => requestAnimationFrame(() => resolve(41 + 1)))')).toBe(42);
      const failure = page.evaluate('Promise.reject(new TypeError("no such element"))');
      await expect(failure).rejects.toBeInstanceOf(CdpCommandError);
      await expect(failure).rejects.toThrow(/Runtime\.evaluate: TypeError: no such element/);
    });
  });

  it('opens each page in a fresh browser context, with no storage from the one before', async () => {
    await withPage(async (first) => {
      await open(first, `http://127.0.0.1:${port}/`);
      await first.evaluate(`localStorage.setItem('seen', 'yes')`);
      expect(await first.evaluate<string>(`localStorage.getItem('seen')`)).toBe('yes');
    });

    await withPage(async (second) => {
      await open(second, `http://127.0.0.1:${port}/`);
      expect(await second.evaluate<string | null>(`localStorage.getItem('seen')`)).toBeNull();
    });
  });

  it('resolves no host name but 127.0.0.1, not even localhost', async () => {
    await withPage(async (page) => {
      await expect(page.navigate(`http://localhost:${port}/`)).rejects.toThrow(/Page\.navigate: http:\/\/localhost:\d+\/: net::ERR_NAME_NOT_RESOLVED/);
    });
  });

  it('lays the page out at the viewport Playwright gives its pages, 1280 by 720', async () => {
    await withPage(async (page) => {
      await open(page, `http://127.0.0.1:${port}/`);
      expect(await page.evaluate<number[]>('[innerWidth, innerHeight]')).toEqual([1280, 720]);
    });
  });

  it('names the command the browser refuses: a navigation, a domain that does not exist', async () => {
    await withPage(async (page) => {
      await expect(page.navigate('not a url')).rejects.toThrow(/^Page\.navigate: /);
    });
    await expect(browser.newPage({ enable: ['NoSuchDomain'] })).rejects.toThrow(/^NoSuchDomain\.enable: /);
  });

  it('ends Chromium and removes its profile on close', async () => {
    const own = await launchUninstrumentedChromium();
    expect(existsSync(own.profileDir)).toBe(true);
    await own.close();
    expect(existsSync(own.profileDir)).toBe(false);
    expect(() => process.kill(own.pid, 0)).toThrow(/ESRCH/);
  });

  it('rejects what is pending when Chromium dies, and still closes', async () => {
    const own = await launchUninstrumentedChromium();
    try {
      const page = await own.newPage();
      await open(page, `http://127.0.0.1:${port}/`);
      const neverAnswered = page.evaluate('new Promise(() => {})');
      process.kill(own.pid, 'SIGKILL');
      await expect(neverAnswered).rejects.toThrow(/Runtime\.evaluate: the browser closed the connection/);
      await expect(page.evaluate('1')).rejects.toBeInstanceOf(CdpCommandError);
    } finally {
      await own.close();
    }
    expect(existsSync(own.profileDir)).toBe(false);
  });
});
