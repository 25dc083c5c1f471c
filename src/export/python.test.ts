// The Python template machinery: the page's bundle and the CLI's disk loader read the same bytes, and
// fillTemplate drops the template's notes and refuses a placeholder without a value or a value without
// a placeholder (the module's behaviour itself is pythonParity.test.ts).
import { describe, expect, it } from 'vitest';
import { readPythonFileFromDisk } from './nodePythonFiles';
import { fillTemplate } from './python';
import { pythonTemplates } from './pythonFiles';

describe('Python templates', () => {
  it('are bundled, and the disk loader reads the same text', () => {
    expect(pythonTemplates.names()).toEqual(['lab_reward', 'prepare_data']);
    for (const name of pythonTemplates.names())
      expect(readPythonFileFromDisk(name)).toBe(pythonTemplates.read(name));
  });

  it('fillTemplate drops the notes and fills every placeholder', () => {
    const template =
      '# note\n# ---- end of template notes ----\nA = __TEMPLATE_A__\nB = "$&__TEMPLATE_B__"\n';
    expect(fillTemplate(template, { A: '1', B: '$1' })).toBe('A = 1\nB = "$&$1"\n');
    expect(() => fillTemplate(template, { A: '1' })).toThrow(/__TEMPLATE_B__ has no value/);
    expect(() => fillTemplate(template, { A: '1', B: '2', C: '3' })).toThrow(/no __TEMPLATE_C__/);
  });
});
