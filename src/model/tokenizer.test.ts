// Tests of the character tokenizer: the fixed id table, specials, unknown characters, decoding, and the
// Hugging Face tokenizer.json / tokenizer_config.json export (fields HF requires, the byte-level
// alphabet, round trip, the older WordLevel form still loading, the shipped zoo files matching the
// export, and an independent interpretation of the exported JSON that must give the same ids as encode()).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BOS_ID,
  BYTE_TO_UNICODE,
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
 * GPT-2's byte-to-unicode table built independently of tokenizer.ts, the way the reference describes
 * it: first the bytes that are printable already, keeping their code point, then the rest in
 * increasing order at 256, 257, ...
 */
function referenceByteToUnicode(): string[] {
  const kept: number[] = [];
  for (const [from, to] of [
    [0x21, 0x7e], // "!" .. "~"
    [0xa1, 0xac], // "¡" .. "¬"
    [0xae, 0xff], // "®" .. "ÿ"
  ]) {
    for (let byte = from; byte <= to; byte++) kept.push(byte);
  }
  const table = new Array<string>(256);
  for (const byte of kept) table[byte] = String.fromCharCode(byte);
  let n = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (!kept.includes(byte)) table[byte] = String.fromCharCode(256 + n++);
  }
  return table;
}

/**
 * What `tokenizers` does with our tokenizer.json, written from the JSON alone: added tokens are cut
 * out first (leftmost, longest); the ByteLevel pre-tokenizer (no prefix space, no regex split) turns
 * each character of the rest into its UTF-8 bytes and each byte into its byte-level character; with no
 * merges every such character is one BPE token, looked up in the vocab, falling back to unk_token (one
 * <unk> per byte, since fuse_unk is false).
 */
function encodeAsHfWould(json: HfTokenizerJson, text: string): number[] {
  expect(json.model.merges).toEqual([]);
  expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false });
  expect(json.model.fuse_unk).toBe(false);
  const byteChars = referenceByteToUnicode();
  const unkId = json.model.vocab[json.model.unk_token];
  const added = [...json.added_tokens].sort((a, b) => b.content.length - a.content.length);
  const ids: number[] = [];
  const encodeSegment = (segment: string) => {
    for (const char of segment) {
      for (const byte of new TextEncoder().encode(char)) ids.push(json.model.vocab[byteChars[byte]] ?? unkId);
    }
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

/** T with every field open to any value, for files that break the type on purpose. */
type Untyped<T> = { [K in keyof T]: unknown };

/** The tokenizer.json of earlier lab versions (WordLevel + Split on every character + Fuse), as saved runs hold it. */
function legacyWordLevelJson(source: CharTokenizer) {
  const current = source.toHfTokenizerJson();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: current.added_tokens,
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Fuse' } as { type: string } | null,
    model: {
      type: 'WordLevel',
      vocab: Object.fromEntries(source.tokens.map((token, id) => [token, id])),
      unk_token: '<unk>',
    },
  };
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

  it('uses the byte-level alphabet: 256 distinct characters, " " as "Ġ", "\\n" as "Ċ"', () => {
    expect(BYTE_TO_UNICODE).toHaveLength(256);
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE).toEqual(referenceByteToUnicode());
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x20]).toBe('\u0120');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[0x09]).toBe('ĉ');
    expect(BYTE_TO_UNICODE[0x21]).toBe('!');
    expect(BYTE_TO_UNICODE[0x7f]).toBe('ġ');
    expect(BYTE_TO_UNICODE[0xad]).toBe('Ń');
    expect(BYTE_TO_UNICODE[0xff]).toBe('ÿ');
  });

  it('is a byte-level BPE without merges, stored like a Qwen2 tokenizer', () => {
    expect(json.version).toBe('1.0');
    expect(json.model).toEqual({
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: json.model.vocab,
      merges: [],
    });
    expect(Object.keys(json.model.vocab)).toHaveLength(100);
    expect(json.model.vocab['<|endoftext|>']).toBe(0);
    expect(json.model.vocab['<unk>']).toBe(3);
    expect(json.model.vocab.Ċ).toBe(4);
    expect(json.model.vocab.Ġ).toBe(5);
    expect(json.model.vocab['!']).toBe(6);
    expect(json.model.vocab['~']).toBe(99);
    expect(json.model.vocab[' ']).toBeUndefined();
    expect(json.model.vocab['\n']).toBeUndefined();
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special, t.normalized])).toEqual([
      [0, '<|endoftext|>', true, false],
      [1, '<|im_start|>', true, false],
      [2, '<|im_end|>', true, false],
      [3, '<unk>', true, false],
    ]);
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
    expect(json.pre_tokenizer).toEqual(byteLevel);
    expect(json.decoder).toEqual(byteLevel);
    expect(json.normalizer).toBeNull();
    expect(json.post_processor).toBeNull();
    for (const key of ['truncation', 'padding']) expect(json).toHaveProperty(key, null);
  });

  it('means the same ids when interpreted as tokenizers would (spaces, newline runs, specials)', () => {
    const texts = [
      '<|im_start|>user\n2+3=?<|im_end|>\n<|im_start|>assistant\n',
      '<|im_start|>user\n12*3+4\n\n=?<|im_end|>\n<|im_start|>assistant\n',
      '```python\nprint(2 + 2)\n```\n\\boxed{4}<|im_end|><|endoftext|>',
      '  leading and trailing  <|im_sta <unk>',
      PRINTABLE,
    ];
    for (const text of texts) expect(encodeAsHfWould(json, text)).toEqual(tokenizer.encode(text));
    expect(encodeAsHfWould(json, '<|im_start|>user\n2+3=?').slice(0, 7)).toEqual([1, 90, 88, 74, 87, 4, 23]);
  });

  it('differs on characters outside the vocabulary: one <unk> per UTF-8 byte in tokenizers, one per character here', () => {
    const text = 'a\té😀b';
    expect(tokenizer.encode(text)).toEqual([70, UNK_ID, UNK_ID, UNK_ID, 71]);
    expect(encodeAsHfWould(json, text)).toEqual([70, UNK_ID, ...Array(2 + 4).fill(UNK_ID), 71]);
  });

  it('round-trips through JSON text: loading it back gives the same ids and tokens', () => {
    const loaded = CharTokenizer.fromHfTokenizerJson(JSON.stringify(json));
    expect(loaded.tokens).toEqual(tokenizer.tokens);
    expect(loaded.specialTokens).toEqual(tokenizer.specialTokens);
    const text = '<|im_start|>assistant\nx = 7\n\\boxed{7}<|im_end|>é';
    expect(loaded.encodeWithReport(text)).toEqual(tokenizer.encodeWithReport(text));
    expect(loaded.decode(loaded.encode(text))).toBe(text.replace('é', '<unk>'));
    expect(loaded.toHfTokenizerJson()).toEqual(json);
  });

  it('round-trips a hand-made vocabulary with control characters (tab, NUL, DEL)', () => {
    const custom = new CharTokenizer(['<unk>', '\t', '\u0000', '\u007f', ' ', 'x'], ['<unk>'], '<unk>');
    const customJson = custom.toHfTokenizerJson();
    expect(Object.keys(customJson.model.vocab)).toEqual(['<unk>', 'ĉ', 'Ā', 'ġ', 'Ġ', 'x']);
    const loaded = CharTokenizer.fromHfTokenizerJson(JSON.stringify(customJson));
    expect(loaded.tokens).toEqual(custom.tokens);
    expect(encodeAsHfWould(customJson, 'x\t\u0000 \u007f')).toEqual(custom.encode('x\t\u0000 \u007f'));
  });

  it('still loads the WordLevel form of earlier lab checkpoints, with the same ids', () => {
    const legacy = legacyWordLevelJson(tokenizer);
    const loaded = CharTokenizer.fromHfTokenizerJson(JSON.stringify(legacy));
    expect(loaded.tokens).toEqual(tokenizer.tokens);
    const text = '<|im_start|>user\n2+3=?<|im_end|>\n<|im_start|>assistant\n\\boxed{5}é';
    expect(loaded.encodeWithReport(text)).toEqual(tokenizer.encodeWithReport(text));
    // Saving it again writes the byte-level form.
    expect(loaded.toHfTokenizerJson()).toEqual(json);

    const legacyVariant = (edit: (j: ReturnType<typeof legacyWordLevelJson>) => void) => {
      const copy = JSON.parse(JSON.stringify(legacy));
      edit(copy);
      return () => CharTokenizer.fromHfTokenizerJson(copy);
    };
    expect(legacyVariant((j) => (j.pre_tokenizer.pattern.Regex = '.'))).toThrow(
      /pre_tokenizer must split every character .* for a WordLevel model/,
    );
    expect(legacyVariant((j) => (j.decoder = { type: 'ByteLevel' }))).toThrow(
      /decoder must be \{"type": "Fuse"\} \(concatenate tokens\) for a WordLevel model/,
    );
    expect(
      legacyVariant((j) => {
        delete j.model.vocab.a;
        j.model.vocab.ab = 5 + 'a'.charCodeAt(0) - 32;
      }),
    ).toThrow(/token 70 "ab" is not a single character nor special/);
  });

  it('refuses tokenizer.json files it would encode differently from tokenizers, naming the field', () => {
    const variant = (edit: (j: HfTokenizerJson) => void) => {
      const copy: HfTokenizerJson = JSON.parse(JSON.stringify(json));
      edit(copy);
      return () => CharTokenizer.fromHfTokenizerJson(copy);
    };
    // Casts for edits the HfTokenizerJson type rules out, which is the point of these files.
    const loose = (j: HfTokenizerJson) => j as Untyped<HfTokenizerJson>;
    const looseModel = (j: HfTokenizerJson) => j.model as Partial<Untyped<HfTokenizerJson['model']>>;
    expect(() => CharTokenizer.fromHfTokenizerJson('{"model": ')).toThrow(/tokenizer.json is not valid JSON/);
    expect(variant((j) => (looseModel(j).type = 'Unigram'))).toThrow(
      /model.type must be "BPE" .* or "WordLevel" .* \(got "Unigram"\)/,
    );
    expect(variant((j) => j.model.merges.push(['Ġ', 'Ġ']))).toThrow(
      /model.merges must be empty \(got 1 merges\)/,
    );
    expect(variant((j) => delete looseModel(j).merges)).toThrow(
      /model.merges must be empty \(got undefined\)/,
    );
    expect(variant((j) => (j.model.fuse_unk = true))).toThrow(/model.fuse_unk must be false \(got true\)/);
    expect(variant((j) => (j.model.byte_fallback = true))).toThrow(/model.byte_fallback must be false/);
    expect(variant((j) => (looseModel(j).continuing_subword_prefix = '##'))).toThrow(
      /model.continuing_subword_prefix must be null \(got "##"\)/,
    );
    expect(variant((j) => (j.pre_tokenizer.add_prefix_space = true))).toThrow(
      /pre_tokenizer.add_prefix_space must be false \(got true\)/,
    );
    expect(
      variant((j) => delete (j.pre_tokenizer as Partial<HfTokenizerJson['pre_tokenizer']>).use_regex),
    ).toThrow(/pre_tokenizer.use_regex must be false \(got undefined\)/);
    expect(variant((j) => (loose(j).pre_tokenizer = { type: 'Metaspace' }))).toThrow(
      /pre_tokenizer.type must be "ByteLevel" \(got "Metaspace"\)/,
    );
    expect(variant((j) => (loose(j).pre_tokenizer = null))).toThrow(
      /pre_tokenizer must be \{"type":"ByteLevel"/,
    );
    expect(variant((j) => (loose(j).decoder = null))).toThrow(
      /decoder.type must be "ByteLevel" \(got null\)/,
    );
    expect(variant((j) => (loose(j).decoder = { type: 'Fuse' }))).toThrow(
      /decoder.type must be "ByteLevel" \(got "Fuse"\)/,
    );
    expect(variant((j) => (loose(j).normalizer = { type: 'Lowercase' }))).toThrow(/has a normalizer/);
    expect(variant((j) => (loose(j).post_processor = { type: 'TemplateProcessing' }))).toThrow(
      /has a post_processor/,
    );
    expect(variant((j) => (j.model.vocab.a = 5))).toThrow(/vocab id 5 is used twice/);
    expect(variant((j) => (j.model.vocab.a = 500))).toThrow(/vocab id 500 of "a" is not in \[0, 100\)/);
    expect(variant((j) => (j.added_tokens[1].id = 2))).toThrow(
      /added token "<\|im_start\|>" has id 2 but the vocab says 1/,
    );
    expect(variant((j) => (j.added_tokens[0].special = false))).toThrow(/must be special/);
    // A raw space (the WordLevel key) is not a byte-level character: the file would drop it in tokenizers.
    expect(
      variant((j) => {
        delete j.model.vocab.Ġ;
        j.model.vocab[' '] = 5;
      }),
    ).toThrow(/vocab key " " is not one byte-level character/);
    expect(
      variant((j) => {
        delete j.model.vocab.a;
        j.model.vocab.ab = 70;
      }),
    ).toThrow(/vocab key "ab" is not one byte-level character/);
    expect(
      variant((j) => {
        delete j.model.vocab.a;
        j.model.vocab.é = 70;
      }),
    ).toThrow(/vocab key "é" is byte 0xE9, not a whole UTF-8 character/);
  });

  it('refuses to export a token of more than one UTF-8 byte, or two tokens with one vocab key', () => {
    expect(() => new CharTokenizer(['<unk>', 'a', 'é'], ['<unk>'], '<unk>').toHfTokenizerJson()).toThrow(
      /token 2 "é" is 2 UTF-8 bytes; tokenizer.json is a byte-level BPE without merges/,
    );
    expect(() => new CharTokenizer(['<unk>', '😀'], ['<unk>'], '<unk>').toHfTokenizerJson()).toThrow(
      TokenizerError,
    );
    expect(() => new CharTokenizer(['Ġ', ' '], ['Ġ'], 'Ġ').toHfTokenizerJson()).toThrow(
      /tokens 0 and 1 both become vocab key "Ġ"/,
    );
  });

  it('is what the shipped zoo holds: public/models/*/tokenizer.json equals the export byte for byte', () => {
    const modelsDir = fileURLToPath(new URL('../../public/models/', import.meta.url));
    const families = readdirSync(modelsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(families.length).toBeGreaterThan(0);
    const expected = `${JSON.stringify(json, null, 2)}\n`;
    for (const family of families) {
      const shipped = readFileSync(`${modelsDir}${family.name}/tokenizer.json`, 'utf8');
      expect(shipped, `public/models/${family.name}/tokenizer.json`).toBe(expected);
    }
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
