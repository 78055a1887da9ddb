import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Core must run unchanged in browsers, Node, workers and edge runtimes, so it may not touch a platform.
 * This test reads every source file of core with the TypeScript parser and fails on a reference to a
 * browser or Node global, or an import of a platform module.
 */
const CORE_SRC = fileURLToPath(new URL('../src/', import.meta.url));

const FORBIDDEN_GLOBALS = new Set([
  'window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'indexedDB', 'location', 'history',
  'process', 'Buffer', 'require', 'module', '__dirname', '__filename', 'global', 'globalThis', 'self',
  'fetch', 'XMLHttpRequest', 'WebSocket', 'crypto', 'performance', 'setTimeout', 'setInterval',
  'clearTimeout', 'clearInterval', 'setImmediate', 'queueMicrotask', 'requestAnimationFrame',
  'TextEncoder', 'TextDecoder', 'CompressionStream', 'BroadcastChannel', 'console',
]);
const FORBIDDEN_IMPORT = /^(node:|idb$|idb\/|onnxruntime|react$|react\/|react-dom|fs$|path$|os$|crypto$|http$|https$|net$|child_process$|lmdb|pino|prom-client|@nats-io)/;

export interface FenceViolation {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test(-d)?\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Free identifiers (not property names, not declarations) that name a forbidden global, and forbidden imports. */
export function findViolations(fileName: string, text: string): FenceViolation[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const violations: FenceViolation[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;

  const collect = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isBindingElement(node)) && node.name && ts.isIdentifier(node.name)) {
      declared.add(node.name.text);
    }
    ts.forEachChild(node, collect);
  };
  collect(source);

  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (FORBIDDEN_IMPORT.test(node.moduleSpecifier.text)) violations.push({ file: fileName, line: at(node), what: `imports "${node.moduleSpecifier.text}"` });
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg) && FORBIDDEN_IMPORT.test(arg.text)) violations.push({ file: fileName, line: at(node), what: `imports "${arg.text}"` });
    }
    if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && !declared.has(node.text)) {
      const parent = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isPropertySignature(parent) && parent.name === node) ||
        (ts.isMethodSignature(parent) && parent.name === node) ||
        (ts.isMethodDeclaration(parent) && parent.name === node) ||
        (ts.isPropertyDeclaration(parent) && parent.name === node) ||
        ts.isQualifiedName(parent) ||
        ts.isImportSpecifier(parent) ||
        ts.isExportSpecifier(parent);
      if (!isPropertyName) violations.push({ file: fileName, line: at(node), what: `uses the global "${node.text}"` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

describe('core is fenced from every platform', () => {
  it('no core source file references a browser or Node global or imports a platform module', () => {
    const violations = sourceFiles(CORE_SRC).flatMap((file) => findViolations(relative(CORE_SRC, file), readFileSync(file, 'utf8')));
    expect(violations.map((v) => `${v.file}:${v.line} ${v.what}`)).toEqual([]);
  });

  it('the checker catches each kind of reach (so the test above can fail)', () => {
    const bad = [
      'const w = window.innerWidth;',
      'localStorage.setItem("a", "b");',
      'if (typeof process !== "undefined") {}',
      'import { readFileSync } from "node:fs";',
      'import { openDB } from "idb";',
      'import * as ort from "onnxruntime-web";',
      'import { useState } from "react";',
      'const t = setTimeout(() => {}, 1);',
      'const m = await import("node:crypto");',
      'export { x } from "react";',
      'new TextEncoder().encode("x");',
    ];
    for (const line of bad) expect(findViolations('probe.ts', line), line).toHaveLength(1);
  });

  it('allows property names and local bindings that share a global name', () => {
    const fine = [
      'const platform = { setTimeout: (f: () => void) => f() }; platform.setTimeout(() => {});',
      'interface Timers { setTimeout(cb: () => void, ms: number): unknown }',
      'function f(navigator: string) { return navigator; }',
      'const o = { document: 1 }; o.document;',
    ];
    for (const line of fine) expect(findViolations('probe.ts', line), line).toEqual([]);
  });

  it('core compiles with no DOM or Node types', () => {
    const config = JSON.parse(readFileSync(new URL('../tsconfig.json', import.meta.url), 'utf8')) as { compilerOptions: { lib: string[]; types: string[] } };
    expect(config.compilerOptions.lib.some((lib) => /dom|webworker/i.test(lib))).toBe(false);
    expect(config.compilerOptions.types).toEqual([]);
  });
});
