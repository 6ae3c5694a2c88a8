import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * On Node 20 (V8 11.3) some object shapes survive young-generation GCs
 * whatever their lifetime, so per-request objects built that way are
 * promoted and paid for in major GC pauses (`bench/gc-survival.mjs`
 * measures it). Two of them are easy to write by accident:
 *
 * - an object literal that starts with a spread and has more members,
 *   `{ ...a, b }` (write `Object.assign({}, a, { b })`, or put the named
 *   members first when the spread cannot hold them);
 * - an object literal with a getter or setter (use a field, or a class).
 *
 * This keeps them out of the code that runs per request. Start-up and
 * command-line code is left alone.
 */
const SRC = fileURLToPath(new URL('..', import.meta.url));
const COLD = ['app/', 'cli/', 'config/', 'eval/', 'report/', 'sim/', 'test-support/'];

function requestPathFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return requestPathFiles(path);
    const name = relative(SRC, path);
    const source = entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts');
    return source && !COLD.some((prefix) => name.startsWith(prefix)) ? [path] : [];
  });
}

/** `file:line what` for each literal of the two shapes in `text`. */
function findLongLivedShapes(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isObjectLiteralExpression(node)) {
      const [first] = node.properties;
      const where = `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      if (first && ts.isSpreadAssignment(first) && node.properties.length > 1) {
        found.push(`${where} starts with a spread and adds members`);
      }
      if (node.properties.some((p) => ts.isGetAccessor(p) || ts.isSetAccessor(p))) {
        found.push(`${where} has an accessor`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('object shapes on the request path', () => {
  it('finds both shapes, and not their safe spellings', () => {
    const text = [
      'const a = { ...x, b: 1 };',
      'const c = { get d() { return 1; } };',
      'const e = { ...x };',
      'const f = { b: 1, ...x };',
      'const g = Object.assign({}, x, { b: 1 });',
    ].join('\n');
    expect(findLongLivedShapes('t.ts', text)).toEqual([
      't.ts:1 starts with a spread and adds members',
      't.ts:2 has an accessor',
    ]);
  });

  it('are absent from every module that runs per request', () => {
    const files = requestPathFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) =>
      findLongLivedShapes(relative(SRC, file), readFileSync(file, 'utf8')),
    );
    expect(found).toEqual([]);
  });
});
