// Tests of the character tokenizer: the fixed id table, specials, unknown characters, decoding, and the
// Hugging Face tokenizer.json / tokenizer_config.json export (fields HF requires, round trip, and an
// independent interpretation of the exported JSON that must give the same ids as encode()).
import { describe, expect, it } from 'vitest';
import {
  BOS_ID,
  CharTokenizer,
  EOS_ID,
  type HfTokenizerJson,
  LAB_VOCAB_SIZE,
  PAD_ID,
  TokenizerError,
  UNK_ID,
} from './tokenizer';

const tokenizer = CharTokenizer.lab();
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/**
 * What `tokenizers` does with our tokenizer.json, written from the JSON alone: added tokens are cut
 * out first (leftmost, longest), the rest is split by the pre_tokenizer regex with Isolated behaviour
 * (matches and the gaps between them become pieces), and each piece is looked up in the WordLevel
 * vocab, falling back to unk_token.
 */
function encodeAsHfWould(json: HfTokenizerJson, text: string): number[] {
  const added = [...json.added_tokens].sort((a, b) => b.content.length - a.content.length);
  const regex = new RegExp(json.pre_tokenizer.pattern.Regex, 'gu');
  const ids: number[] = [];
  const encodeSegment = (segment: string) => {
    let last = 0;
    const pieces: string[] = [];
    for (const match of segment.matchAll(regex)) {
      if (match.index! > last) pieces.push(segment.slice(last, match.index));
      pieces.push(match[0]);
      last = match.index! + match[0].length;
    }
    if (last < segment.length) pieces.push(segment.slice(last));
    for (const piece of pieces) ids.push(json.model.vocab[piece] ?? json.model.vocab[json.model.unk_token]);
  };
  let segmentStart = 0;
  let i = 0;
  while (i < text.length) {
    const hit = added.find((token) => text.startsWith(token.content, i));
    if (hit) {
      encodeSegment(text.slice(segmentStart, i));
      ids.push(hit.id);
      i += hit.content.length;
      segmentStart = i;
    } else i++;
  }
  encodeSegment(text.slice(segmentStart));
  return ids;
}

describe('CharTokenizer.lab', () => {
  it('has the fixed project id table', () => {
    expect(tokenizer.vocabSize).toBe(LAB_VOCAB_SIZE);
    expect([PAD_ID, BOS_ID, EOS_ID, UNK_ID]).toEqual([0, 1, 2, 3]);
    expect(tokenizer.tokens.slice(0, 5)).toEqual([
      '<|endoftext|>',
      '<|im_start|>',
      '<|im_end|>',
      '<unk>',
      '\n',
    ]);
    expect(tokenizer.encode(' ')).toEqual([5]);
    expect(tokenizer.encode('0')).toEqual([5 + 48 - 32]);
    expect(tokenizer.encode('A')).toEqual([5 + 65 - 32]);
    expect(tokenizer.encode('~')).toEqual([99]);
    expect(tokenizer.encode(PRINTABLE)).toEqual(Array.from({ length: 95 }, (_, i) => 5 + i));
  });

  it('encodes special-token strings inside text to their single id', () => {
    const ids = tokenizer.encode('<|im_start|>user\n2+3<|im_end|>\n<|endoftext|><unk>');
    const char = (c: string) => c.charCodeAt(0) - 27;
    expect(ids).toEqual([
      1,
      char('u'),
      char('s'),
      char('e'),
      char('r'),
      4,
      char('2'),
      char('+'),
      char('3'),
      2,
      4,
      0,
      3,
    ]);
    // An incomplete marker is just characters.
    expect(tokenizer.encode('<|im_end')).toHaveLength(8);
  });

  it('maps unknown characters to <unk> and reports them, a surrogate pair counting once', () => {
    const result = tokenizer.encodeWithReport('a\té😀b');
    expect(result.ids).toEqual([tokenizer.encode('a')[0], UNK_ID, UNK_ID, UNK_ID, tokenizer.encode('b')[0]]);
    expect(result.unknown).toEqual([
      { index: 1, char: '\t' },
      { index: 2, char: 'é' },
      { index: 3, char: '😀' },
    ]);
    expect(() => tokenizer.encode('ok é', { onUnknown: 'throw' })).toThrow(
      /character "é" \(U\+00E9\) at index 3 is not in the vocabulary/,
    );
    expect(() => tokenizer.encode('ab', { onUnknown: 'throw' })).not.toThrow();
  });

  it('decodes back to the text, rendering or skipping specials', () => {
    const text = `<|im_start|>user\n${PRINTABLE}\n\n<|im_end|>`;
    const ids = tokenizer.encode(text);
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.decode(new Int32Array(ids), { skipSpecialTokens: true })).toBe(`user\n${PRINTABLE}\n\n`);
    expect(() => tokenizer.decode([5, 100])).toThrow(
      /id 100 at position 1 is outside the vocabulary \[0, 100\)/,
    );
    expect(() => tokenizer.decode([-1])).toThrow(/id -1 at position 0/);
  });

  it('applies the Qwen-style chat template exactly like a MiniMath prompt', () => {
    expect(tokenizer.applyChatTemplate([{ role: 'user', content: '2+3=?' }], true)).toBe(
      '<|im_start|>user\n2+3=?<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});

describe('Hugging Face tokenizer.json', () => {
  const json = tokenizer.toHfTokenizerJson();

  it('has the fields and components the tokenizers library requires', () => {
    expect(json.version).toBe('1.0');
    expect(json.model.type).toBe('WordLevel');
    expect(Object.keys(json.model.vocab)).toHaveLength(100);
    expect(json.model.vocab['\n']).toBe(4);
    expect(json.model.vocab['~']).toBe(99);
    expect(json.model.unk_token).toBe('<unk>');
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special, t.normalized])).toEqual([
      [0, '<|endoftext|>', true, false],
      [1, '<|im_start|>', true, false],
      [2, '<|im_end|>', true, false],
      [3, '<unk>', true, false],
    ]);
    expect(json.pre_tokenizer).toEqual({
      type: 'Split',
      pattern: { Regex: '[\\s\\S]' },
      behavior: 'Isolated',
      invert: false,
    });
    expect(json.decoder).toEqual({ type: 'Fuse' });
    expect(json.normalizer).toBeNull();
    expect(json.post_processor).toBeNull();
    for (const key of ['truncation', 'padding']) expect(json).toHaveProperty(key, null);
  });

  it('means the same ids when interpreted as tokenizers would (newline runs, specials, unknowns)', () => {
    const texts = [
      '<|im_start|>user\n12*3+4\n\n=?<|im_end|>\n<|im_start|>assistant\n',
      '```python\nprint(2+2)\n```\n\\boxed{4}<|im_end|><|endoftext|>',
      'tab\there é 😀 <|im_sta <unk>',
      PRINTABLE,
    ];
    for (const text of texts) expect(encodeAsHfWould(json, text)).toEqual(tokenizer.encode(text));
  });

  it('round-trips through JSON text: loading it back gives the same ids and tokens', () => {
    const loaded = CharTokenizer.fromHfTokenizerJson(JSON.stringify(json));
    expect(loaded.tokens).toEqual(tokenizer.tokens);
    const text = '<|im_start|>assistant\nx=7\n\\boxed{7}<|im_end|>é';
    expect(loaded.encodeWithReport(text)).toEqual(tokenizer.encodeWithReport(text));
    expect(loaded.toHfTokenizerJson()).toEqual(json);
  });

  it('refuses tokenizer.json files it would encode differently from tokenizers, naming the field', () => {
    const variant = (edit: (j: HfTokenizerJson) => void) => {
      const copy: HfTokenizerJson = JSON.parse(JSON.stringify(json));
      edit(copy);
      return () => CharTokenizer.fromHfTokenizerJson(copy);
    };
    expect(() => CharTokenizer.fromHfTokenizerJson('{"model": ')).toThrow(/tokenizer.json is not valid JSON/);
    expect(variant((j) => ((j.model as { type: string }).type = 'BPE'))).toThrow(
      /model.type must be "WordLevel" \(got "BPE"\)/,
    );
    expect(variant((j) => (j.pre_tokenizer.pattern.Regex = '.'))).toThrow(
      /pre_tokenizer must split every character/,
    );
    expect(variant((j) => ((j as { decoder: unknown }).decoder = null))).toThrow(
      /decoder must be \{"type": "Fuse"\}/,
    );
    expect(variant((j) => ((j as { normalizer: unknown }).normalizer = { type: 'Lowercase' }))).toThrow(
      /has a normalizer/,
    );
    expect(variant((j) => (j.model.vocab.a = 5))).toThrow(/vocab id 5 is used twice/);
    expect(variant((j) => (j.model.vocab.a = 500))).toThrow(/vocab id 500 of "a" is not in \[0, 100\)/);
    expect(variant((j) => (j.added_tokens[1].id = 2))).toThrow(
      /added token "<\|im_start\|>" has id 2 but the vocab says 1/,
    );
    expect(variant((j) => (j.added_tokens[0].special = false))).toThrow(/must be special/);
    expect(
      variant((j) => {
        delete j.model.vocab.ab;
        delete j.model.vocab.a;
        j.model.vocab.ab = 5 + 'a'.charCodeAt(0) - 32;
      }),
    ).toThrow(/token 70 "ab" is not a single character nor special/);
  });

  it('exports tokenizer_config.json with the roles and the chat template transformers reads', () => {
    const config = tokenizer.toHfTokenizerConfig(256);
    expect(config).toMatchObject({
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: '<|im_start|>',
      eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>',
      unk_token: '<unk>',
      clean_up_tokenization_spaces: false,
      model_max_length: 256,
    });
    expect(Object.keys(config.added_tokens_decoder as object)).toEqual(['0', '1', '2', '3']);
    const template = config.chat_template as string;
    expect(template).toContain(
      "'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'",
    );
    expect(template).toContain("add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}");
  });
});

describe('CharTokenizer construction errors', () => {
  it('names the problem', () => {
    expect(() => new CharTokenizer(['a', 'a'], [], 'a')).toThrow(TokenizerError);
    expect(() => new CharTokenizer(['a', 'a'], [], 'a')).toThrow(/token "a" appears twice/);
    expect(() => new CharTokenizer(['a'], ['<s>'], 'a')).toThrow(/special token "<s>" not in vocab/);
    expect(() => new CharTokenizer(['a'], [], '<unk>')).toThrow(/unknown token "<unk>" not in vocab/);
  });
});
