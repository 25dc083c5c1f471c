// Expands the repeat blocks of a shader template into plain WGSL when the shader is loaded (the way
// tfjs-backend-webgpu generates its unrolled kernels, but with the text kept in shaders/*.wgsl). The
// register-blocked kernels are unrolled by hand on purpose (SwiftShader does not unroll loops and keeps
// loop-indexed arrays in memory), so their repeated lines are written once and repeated here:
//
//   //#for j in 0..3                    j = 0, 1, 2, 3
//   //#for buf in q4, k4, v4            buf = q4, then k4, then v4
//   //#for j, c in x, y, z, w           c = x, y, z, w with j = 0, 1, 2, 3 alongside
//     acc${j} += av.${c} * bv;          ${...}: a loop variable, or + - * over integers and loop variables
//   //#end
//
// Blocks nest. Directive lines are dropped; a source without directives comes back unchanged.

type Value = number | string;
type Env = Readonly<Record<string, Value>>;

type Node = { text: string; line: number } | { vars: string[]; items: Value[]; body: Node[]; line: number };

const DIRECTIVE = /^\s*\/\/#(\w+)\s*(.*?)\s*$/;

/** The plain WGSL of a template; `name` names the shader in errors. */
export function expandWgsl(source: string, name = 'shader'): string {
  const lines = source.split('\n');
  if (!source.includes('${') && !lines.some((l) => DIRECTIVE.test(l))) return source;
  const fail = (line: number, message: string): never => {
    throw new Error(`${name}.wgsl:${line}: ${message}`);
  };
  // Parse into nested blocks.
  const root: Node[] = [];
  const open: { body: Node[]; line: number }[] = [{ body: root, line: 0 }];
  lines.forEach((text, i) => {
    const line = i + 1;
    const m = DIRECTIVE.exec(text);
    if (!m) {
      open[open.length - 1].body.push({ text, line });
      return;
    }
    const [, directive, rest] = m;
    if (directive === 'end') {
      if (open.length === 1) fail(line, '//#end without //#for');
      open.pop();
    } else if (directive === 'for') {
      const block = { ...parseFor(rest, (msg) => fail(line, msg)), body: [] as Node[], line };
      open[open.length - 1].body.push(block);
      open.push(block);
    } else {
      fail(line, `unknown directive //#${directive}`);
    }
  });
  if (open.length > 1) fail(open[open.length - 1].line, '//#for without //#end');

  const out: string[] = [];
  const render = (nodes: Node[], env: Env) => {
    for (const node of nodes) {
      if ('text' in node) {
        const text = node.text.replace(/\$\{([^}]*)\}/g, (_, expr: string) => {
          try {
            return String(evaluate(expr, env));
          } catch (err) {
            return fail(node.line, `\${${expr}}: ${(err as Error).message}`);
          }
        });
        if (text.includes('${')) fail(node.line, 'unclosed ${');
        out.push(text);
        continue;
      }
      node.items.forEach((item, index) => {
        const vars =
          node.vars.length === 2 ? { [node.vars[0]]: index, [node.vars[1]]: item } : { [node.vars[0]]: item };
        render(node.body, { ...env, ...vars });
      });
    }
  };
  render(root, {});
  return out.join('\n');
}

/** `j in 0..3`, `buf in q4, k4`, or `j, c in x, y, z, w` (j counts the items from 0). */
function parseFor(spec: string, fail: (message: string) => never): { vars: string[]; items: Value[] } {
  const m = /^(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+)$/.exec(spec);
  if (!m) return fail(`cannot read //#for ${spec}`);
  const vars = m[2] ? [m[1], m[2]] : [m[1]];
  const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(m[3]);
  if (range) {
    if (vars.length === 2) return fail('a range takes one variable');
    const [lo, hi] = [Number(range[1]), Number(range[2])];
    if (hi < lo) return fail(`empty range ${m[3]}`);
    return { vars, items: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) };
  }
  const items = m[3].split(',').map((s) => s.trim());
  if (items.some((s) => !/^\w+$/.test(s))) return fail(`list items must be words: ${m[3]}`);
  return { vars, items };
}

/** A loop variable, or integers and loop variables under + - * and parentheses. */
function evaluate(expr: string, env: Env): Value {
  const tokens = expr.match(/\d+|\w+|[-+*()]|\S/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const num = (v: Value): number => {
    if (typeof v !== 'number') throw new Error(`'${v}' is not a number`);
    return v;
  };
  const primary = (): Value => {
    const t = next();
    if (t === undefined) throw new Error('expression ends early');
    if (t === '(') {
      const v = sum();
      if (next() !== ')') throw new Error('missing )');
      return v;
    }
    if (/^\d+$/.test(t)) return Number(t);
    if (/^\w+$/.test(t)) {
      if (!(t in env)) throw new Error(`unknown variable '${t}'`);
      return env[t];
    }
    throw new Error(`unexpected '${t}'`);
  };
  const product = (): Value => {
    let v = primary();
    while (peek() === '*') {
      next();
      v = num(v) * num(primary());
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = next();
      const w = num(product());
      v = op === '+' ? num(v) + w : num(v) - w;
    }
    return v;
  };
  const value = sum();
  if (pos < tokens.length) throw new Error(`unexpected '${tokens[pos]}'`);
  return value;
}
