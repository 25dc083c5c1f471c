// The one place the exported Python templates are loaded from `src/export/python/*.py`, so the page and
// the CLI write byte-identical modules (the same split as engine/webgpu/shaders.ts for WGSL). In Vite
// (the page, vitest) the files are bundled as text via import.meta.glob; in plain Node (the tsx CLI)
// nodePythonFiles.ts registers a file-system loader.

type PythonLoader = (name: string) => string;

let bundled: Record<string, string> | undefined;
try {
  // Vite rewrites this call at build time; under plain Node `import.meta.glob` is undefined and throws.
  const modules = import.meta.glob('./python/*.py', { query: '?raw', import: 'default', eager: true });
  bundled = {};
  for (const [path, source] of Object.entries(modules)) {
    bundled[path.slice(path.lastIndexOf('/') + 1, -'.py'.length)] = source as string;
  }
} catch {
  bundled = undefined;
}

let loader: PythonLoader | undefined;

export function registerPythonLoader(fn: PythonLoader): void {
  loader = fn;
}

/** Names of the Python files available through the bundle (empty under plain Node). */
export function bundledPythonNames(): string[] {
  return Object.keys(bundled ?? {}).sort();
}

/** Text of `src/export/python/<name>.py`. Throws a clear error for unknown names. */
export function pythonFile(name: string): string {
  const fromBundle = bundled?.[name];
  if (fromBundle !== undefined) return fromBundle;
  if (loader) return loader(name);
  throw new Error(
    `Python file "${name}" is not bundled${bundled ? ` (known: ${bundledPythonNames().join(', ')})` : ''} ` +
      'and no file loader is registered (call registerNodePythonLoader() first in Node).',
  );
}
