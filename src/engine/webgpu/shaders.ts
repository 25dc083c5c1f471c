// The one place WGSL source is loaded from `shaders/*.wgsl`, so the browser and Node run byte-identical
// shader code. In Vite (the page, vitest) the files are bundled as text via import.meta.glob; in plain
// Node (tsx CLI, benchmarks) node-gpu.ts registers a file-system loader (util/bundledText.ts).
import { bundledText } from '../../util/bundledText';

const shaders = bundledText(
  () => import.meta.glob('../../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }),
  'Shader',
  '.wgsl',
  'call nodeGpu() first in Node',
);

export function registerShaderLoader(fn: (name: string) => string): void {
  shaders.registerLoader(fn);
}

/** Names of the shader files available through the bundle (empty under plain Node). */
export function bundledShaderNames(): string[] {
  return shaders.names();
}

/** WGSL source of `shaders/<name>.wgsl`. Throws a clear error for unknown names. */
export function shaderSource(name: string): string {
  return shaders.read(name);
}
