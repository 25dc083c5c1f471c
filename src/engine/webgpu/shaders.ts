// The one place WGSL source is loaded from `shaders/*.wgsl`, so the browser and Node run byte-identical
// shader code. In Vite (the page, vitest) the files are bundled as text via import.meta.glob; in plain
// Node (tsx CLI, benchmarks) node-gpu.ts registers a file-system loader (util/bundledText.ts). The files
// are templates: their `//#for` repeat blocks are expanded here (wgslTemplate.ts), once per shader.
import { bundledText } from '../../util/bundledText';
import { expandWgsl } from './wgslTemplate';

const shaders = bundledText(
  () => import.meta.glob('../../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }),
  'Shader',
  '.wgsl',
  'call nodeGpu() first in Node',
);

const expanded = new Map<string, string>();

export function registerShaderLoader(fn: (name: string) => string): void {
  shaders.registerLoader(fn);
  expanded.clear();
}

/** Names of the shader files available through the bundle (empty under plain Node). */
export function bundledShaderNames(): string[] {
  return shaders.names();
}

/** WGSL of `shaders/<name>.wgsl`, its repeat blocks expanded. Throws a clear error for unknown names. */
export function shaderSource(name: string): string {
  let code = expanded.get(name);
  if (code === undefined) {
    code = expandWgsl(shaders.read(name), name);
    expanded.set(name, code);
  }
  return code;
}
