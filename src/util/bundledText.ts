// Text files that ship inside the page and are read from disk under plain Node: the WGSL shaders
// (engine/webgpu/shaders.ts) and the export's Python templates (export/pythonFiles.ts). In Vite (the
// page, vitest) the caller's import.meta.glob bundles them as text; under tsx that call throws and a
// loader registered by the Node host reads the same files, so both run byte-identical text.

export interface BundledText {
  /** Names of the bundled files, sorted (empty under plain Node). */
  names(): string[];
  /** The text of one file; throws naming it when it is neither bundled nor readable. */
  read(name: string): string;
  registerLoader(loader: (name: string) => string): void;
}

/**
 * `glob` wraps the caller's `import.meta.glob(pattern, { query: '?raw', import: 'default', eager: true })`
 * (Vite rewrites it only in the module that names the files). `what` names a file in errors, `ext` is cut
 * from paths to make names, and `setupHint` tells Node callers how to register a loader.
 */
export function bundledText(
  glob: () => Record<string, unknown>,
  what: string,
  ext: string,
  setupHint: string,
): BundledText {
  let bundled: Record<string, string> | undefined;
  try {
    bundled = {};
    for (const [path, source] of Object.entries(glob())) {
      bundled[path.slice(path.lastIndexOf('/') + 1, -ext.length)] = source as string;
    }
  } catch {
    // Plain Node: `import.meta.glob` is undefined.
    bundled = undefined;
  }
  let loader: ((name: string) => string) | undefined;
  const names = () => Object.keys(bundled ?? {}).sort();
  return {
    names,
    registerLoader: (fn) => {
      loader = fn;
    },
    read(name) {
      const fromBundle = bundled?.[name];
      if (fromBundle !== undefined) return fromBundle;
      if (loader) {
        try {
          return loader(name);
        } catch (err) {
          throw new Error(
            `${what} "${name}" could not be read: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
      throw new Error(
        `${what} "${name}" is not bundled${bundled ? ` (known: ${names().join(', ')})` : ''} ` +
          `and no file loader is registered (${setupHint}).`,
      );
    },
  };
}
