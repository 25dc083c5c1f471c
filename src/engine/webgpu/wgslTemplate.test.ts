// Unit tier: the shader template expander (wgslTemplate.ts) and every shader's expansion.
import { describe, expect, it } from 'vitest';
import { bundledShaderNames, shaderSource } from './shaders';
import { expandWgsl } from './wgslTemplate';

describe('expandWgsl', () => {
  it('returns a source without directives unchanged', () => {
    const src = 'fn f() -> u32 {\n  return 1u;\n}\n';
    expect(expandWgsl(src)).toBe(src);
  });

  it('repeats ranges, lists and indexed lists, nested, with integer arithmetic', () => {
    const src = [
      'a',
      '  //#for j in 1..3',
      `  x\${j} = y[\${4 * j}u + \${j - 1}];`,
      '  //#end',
      '//#for buf in q4, k4',
      `fn load_\${buf}() {`,
      '  //#for j, c in x, y',
      `  r.\${c} = \${buf}[\${(j + 1) * 2}];`,
      '  //#end',
      '}',
      '//#end',
      'b',
    ].join('\n');
    expect(expandWgsl(src).split('\n')).toEqual([
      'a',
      '  x1 = y[4u + 0];',
      '  x2 = y[8u + 1];',
      '  x3 = y[12u + 2];',
      'fn load_q4() {',
      '  r.x = q4[2];',
      '  r.y = q4[4];',
      '}',
      'fn load_k4() {',
      '  r.x = k4[2];',
      '  r.y = k4[4];',
      '}',
      'b',
    ]);
  });

  it('names the shader and line of a mistake', () => {
    expect(() => expandWgsl('//#for j in 0..1\nx', 'm')).toThrow(/m\.wgsl:1: \/\/#for without \/\/#end/);
    expect(() => expandWgsl('x\n//#end', 'm')).toThrow(/m\.wgsl:2: \/\/#end without/);
    expect(() => expandWgsl('//#if x', 'm')).toThrow(/unknown directive/);
    expect(() => expandWgsl('//#for j in 3..1\n//#end', 'm')).toThrow(/empty range/);
    expect(() => expandWgsl(`//#for j in 0..1\n\${k}\n//#end`, 'm')).toThrow(
      /m\.wgsl:2: .*unknown variable 'k'/,
    );
    expect(() => expandWgsl(`//#for c in x, y\n\${c * 2}\n//#end`, 'm')).toThrow(/'x' is not a number/);
    expect(() => expandWgsl(`\${j`, 'm')).toThrow(/unclosed/);
  });
});

describe('shaders', () => {
  it('every shader expands to plain WGSL', () => {
    const names = bundledShaderNames();
    expect(names).toContain('matmul');
    for (const name of names) {
      const code = shaderSource(name);
      expect(code, name).not.toMatch(/\$\{|^\s*\/\/#/m);
    }
    // The templates do expand: the 8x8 kernels keep their 16 named accumulators.
    expect(shaderSource('matmul')).toContain('var hi7 = vec4<f32>(0.0);');
    expect(shaderSource('attention')).toContain('fn store_dv4(i: u32, x: Row)');
  });
});
