import { loadOnce } from './loadOnce';
import type { Monaco } from './monacoSetup';

/**
 * The bundled Monaco (monacoSetup), loaded once for the page; App's default loader.
 *
 * Importing this module starts the load: main.tsx imports it first, so Monaco's megabytes are
 * downloaded and compiled (off the main thread) while the rest of the page's script runs and
 * the start screen is drawn, rather than only once that screen is up. Start waits for it. A
 * failed load is not reported here: the next call (Start) tries again and reports it.
 */
export const loadBundledMonaco: () => Promise<Monaco> = loadOnce(() => import('./monacoSetup').then((module) => module.monaco));

loadBundledMonaco().catch(() => {});
