// The one place WGSL source is loaded from `shaders/*.wgsl`, so the browser and Node run byte-identical
// shader code. In Vite (the page, vitest) the files are bundled as text via import.meta.glob; in plain
// Node (tsx CLI, benchmarks) node-gpu.ts registers a file-system loader.

type ShaderLoader = (name: string) => string;

let bundled: Record<string, string> | undefined;
try {
  // Vite rewrites this call at build time; under plain Node `import.meta.glob` is undefined and throws.
  const modules = import.meta.glob('../../../shaders/*.wgsl', {
    query: '?raw',
    import: 'default',
    eager: true,
  });
  bundled = {};
  for (const [path, source] of Object.entries(modules)) {
    const name = path.slice(path.lastIndexOf('/') + 1, -'.wgsl'.length);
    bundled[name] = source as string;
  }
} catch {
  bundled = undefined;
}

let loader: ShaderLoader | undefined;

export function registerShaderLoader(fn: ShaderLoader): void {
  loader = fn;
}

/** Names of the shader files available through the bundle (empty under plain Node). */
export function bundledShaderNames(): string[] {
  return Object.keys(bundled ?? {}).sort();
}

/** WGSL source of `shaders/<name>.wgsl`. Throws a clear error for unknown names. */
export function shaderSource(name: string): string {
  const fromBundle = bundled?.[name];
  if (fromBundle !== undefined) return fromBundle;
  if (loader) {
    try {
      return loader(name);
    } catch (err) {
      throw new Error(
        `Shader "${name}" could not be read: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  throw new Error(
    `Shader "${name}" is not bundled${bundled ? ` (known: ${bundledShaderNames().join(', ')})` : ''} ` +
      'and no file loader is registered (call nodeGpu() first in Node).',
  );
}
