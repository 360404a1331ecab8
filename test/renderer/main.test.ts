import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PAGE_MODULES_EVALUATED_AT_BUILD_TIME } from '../../electron.vite.config';

const ROOT = join(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'renderer/src/main.tsx');
const PRELOAD_ENTRY = join(ROOT, 'electron/preload/index.ts');

/** The specifiers `file` imports for their values (static, re-exported or dynamic), not those it imports only for types. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typesOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      if (!typesOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typesOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.every((element) => element.isTypeOnly));
      if (!typesOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** Our source file a relative specifier names, or null for a package or an asset (CSS, a worker's `?worker` handled as its file). */
function resolveOurs(importer: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const path = resolve(dirname(importer), specifier.replace(/\?.*$/, ''));
  return ['', '.ts', '.tsx', '/index.ts'].map((suffix) => path + suffix).find((candidate) => /\.tsx?$/.test(candidate) && existsSync(candidate)) ?? null;
}

/**
 * Every module of ours the page (or the preload, from its entry) loads as it starts, from main.tsx through every value import,
 * dynamic ones too (Monaco's set-up loads at once). A module the build evaluates at build time
 * ships as literals and imports nothing.
 */
function pageModules(entry = ENTRY): string[] {
  const replaced = new Set(PAGE_MODULES_EVALUATED_AT_BUILD_TIME.map((file) => resolve(file)));
  const seen = new Set<string>([entry]);
  for (const file of seen) {
    if (replaced.has(file)) continue;
    for (const specifier of valueImports(file)) {
      const imported = resolveOurs(file, specifier);
      if (imported) seen.add(imported);
    }
  }
  return [...seen];
}

describe('the page as it starts', () => {
  afterEach(() => {
    vi.doUnmock('zod');
    vi.resetModules();
  });

  it('loads the IPC contract for its types only: the client is built from its names', () => {
    const modules = pageModules().map((file) => relative(ROOT, file));
    expect(modules).toContain('shared/ipc/ipcContractNames.ts');
    expect(modules).not.toContain('shared/ipc/contract.ts');
  });

  it('runs after a preload that builds its bridge from the names too, not the contract', () => {
    const modules = pageModules(PRELOAD_ENTRY).map((file) => relative(ROOT, file));
    expect(modules).toContain('electron/preload/exposeApi.ts');
    expect(modules).toContain('shared/ipc/ipcContractNames.ts');
    expect(modules).not.toContain('shared/ipc/contract.ts');
  });

  it('builds no zod schema while its modules load: each builds its own on first use', async () => {
    const zodImporters = pageModules().filter((file) => valueImports(file).includes('zod'));
    // The server-message schemas the WebSocket transport checks every frame with, at least.
    expect(zodImporters.map((file) => relative(ROOT, file))).toContain('shared/ipc/webSocketProtocol.ts');
    vi.doMock('zod', () => ({
      z: new Proxy(
        {},
        {
          get: (_zod, member) => {
            throw new Error(`z.${String(member)} is used as the module loads: build the schema on first use (shared/ipc/onFirstUse.ts)`);
          },
        },
      ),
    }));
    for (const file of zodImporters) {
      vi.resetModules();
      await expect(import(file), relative(ROOT, file)).resolves.toBeDefined();
    }
  });
});
