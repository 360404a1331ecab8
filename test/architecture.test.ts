import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|mts|cts)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3]!,
  );
}

/** Files under `dir` that import something matching `forbidden`, as "file -> import". */
function violations(dir: string, forbidden: (specifier: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) => imports(file).filter((specifier) => forbidden(specifier, file)).map((specifier) => `${file} -> ${specifier}`));
}

describe('architecture boundaries', () => {
  it('only the shell (electron/main, electron/preload) imports electron', () => {
    const outsideShell = (file: string) => !/^electron\/(main|preload)\//.test(file);
    expect(violations('electron', (specifier, file) => specifier === 'electron' && outsideShell(file))).toEqual([]);
    expect(violations('shared', (specifier) => specifier === 'electron')).toEqual([]);
  });

  it('shared/ uses neither Node built-ins nor the main process', () => {
    expect(violations('shared', (specifier) => specifier.startsWith('node:') || /(^|\/)electron\//.test(specifier))).toEqual([]);
  });

  it('renderer/ talks to the main process only through the contract in shared/', () => {
    const renderer = sourceFiles('renderer');
    const bad = renderer.length === 0 ? [] : violations('renderer', (specifier) => specifier === 'electron' || specifier.startsWith('node:') || /(^|\/)electron\//.test(specifier));
    expect(bad).toEqual([]);
  });

  it('only one module touches ipcMain, and only the preload touches ipcRenderer', () => {
    const touching = (name: string) => sourceFiles('electron').filter((file) => new RegExp(`\\b${name}\\.(handle|on|send|invoke|removeHandler|removeListener)\\b`).test(readFileSync(join(root, file), 'utf8')));
    expect(touching('ipcMain').length).toBeLessThanOrEqual(1);
    expect(touching('ipcRenderer').every((file) => file.startsWith('electron/preload/'))).toBe(true);
  });
});
