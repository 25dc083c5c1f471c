// The lab's character tokenizer and its Hugging Face form. Ids (fixed project-wide): 0 <|endoftext|>
// (pad), 1 <|im_start|> (bos), 2 <|im_end|> (eos), 3 <unk>, 4 "\n", 5..99 printable ASCII 32..126.
// Special-token strings inside text encode to their single id, as HF added tokens do. The exported
// tokenizer.json is a byte-level BPE without merges (each ASCII character is one byte, so one token),
// stored the way real Qwen2 tokenizers are: transformers 5 rebuilds a Qwen2Tokenizer from vocab and
// merges and ignores a custom pre-tokenizer, so only this form keeps the lab's ids there. The older
// WordLevel form (checkpoints saved by earlier versions of the lab) still loads.

export const PAD_TOKEN = '<|endoftext|>';
export const BOS_TOKEN = '<|im_start|>';
export const EOS_TOKEN = '<|im_end|>';
export const UNK_TOKEN = '<unk>';

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;

/** Number of ids of the lab tokenizer (4 specials + newline + 95 printable ASCII). */
export const LAB_VOCAB_SIZE = 100;

/**
 * Pre-tokenizer pattern of the older WordLevel form (read, no longer written): one match per
 * character. `[\s\S]` rather than `.` because `.` skips "\n" in Oniguruma (the regex engine of
 * `tokenizers`) and in JS, and unmatched runs like "\n\n" would then reach the WordLevel model as one
 * unknown word.
 */
const EVERY_CHARACTER_PATTERN = '[\\s\\S]';

/** ByteLevel pre-tokenizer and decoder of the exported form: no prefix space, no regex split. */
const BYTE_LEVEL_SETTINGS = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: false,
  use_regex: false,
} as const;

/**
 * GPT-2's byte-to-unicode table, which byte-level BPE vocabularies are keyed by: every byte gets a
 * printable, non-space character. Bytes that already are one (33..126, 161..172, 174..255) keep their
 * code point; the others (controls, space, DEL, NBSP, soft hyphen...) take 256, 257, ... in increasing
 * byte order, so " " is "Ġ" (U+0120) and "\n" is "Ċ" (U+010A).
 */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const keepsItsCodePoint = (byte: number) =>
    (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  const table: string[] = [];
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    table.push(String.fromCodePoint(keepsItsCodePoint(byte) ? byte : next++));
  }
  return table;
})();

const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(
  BYTE_TO_UNICODE.map((char, byte) => [char, byte]),
);

const utf8 = new TextEncoder();

export class TokenizerError extends Error {
  constructor(message: string) {
    super(`tokenizer: ${message}`);
    this.name = 'TokenizerError';
  }
}

/** A character the vocabulary lacks, encoded as <unk>. */
export interface UnknownCharacter {
  /** UTF-16 index of the character in the input text. */
  index: number;
  char: string;
}

export interface EncodeResult {
  ids: number[];
  unknown: UnknownCharacter[];
}

export interface EncodeOptions {
  /** 'unk' (default): unknown characters become <unk>; 'throw': a TokenizerError naming the first one. */
  onUnknown?: 'unk' | 'throw';
}

export interface DecodeOptions {
  /** Drop special tokens (HF `skip_special_tokens`); by default they are rendered as their strings. */
  skipSpecialTokens?: boolean;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** Tokens of the vocabulary, id order: specials first, then "\n" and printable ASCII. */
function labVocabulary(): string[] {
  const tokens = [PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN, '\n'];
  for (let code = 32; code <= 126; code++) tokens.push(String.fromCharCode(code));
  return tokens;
}

/**
 * A tokenizer where every ordinary token is one Unicode character and special tokens are whole
 * strings matched first (longest first, like HF added tokens). Constructed from a vocabulary in id
 * order; `CharTokenizer.lab()` is the project's fixed vocabulary.
 */
export class CharTokenizer {
  readonly tokens: readonly string[];
  readonly specialTokens: readonly string[];
  readonly unkId: number;
  private readonly idByToken: Map<string, number>;
  private readonly specialIds: Set<number>;
  /** Special strings sorted longest first so "<|im_start|>" wins over any prefix of it. */
  private readonly specialsLongestFirst: string[];

  constructor(tokens: readonly string[], specialTokens: readonly string[], unkToken: string) {
    const idByToken = new Map<string, number>();
    tokens.forEach((token, id) => {
      if (idByToken.has(token)) throw new TokenizerError(`token ${JSON.stringify(token)} appears twice`);
      idByToken.set(token, id);
    });
    const specials = new Set(specialTokens);
    for (const special of specials) {
      if (!idByToken.has(special))
        throw new TokenizerError(`special token ${JSON.stringify(special)} not in vocab`);
      if (special === '') throw new TokenizerError('special token must not be empty');
    }
    tokens.forEach((token, id) => {
      if (!specials.has(token) && [...token].length !== 1) {
        throw new TokenizerError(
          `token ${id} ${JSON.stringify(token)} is not a single character nor special`,
        );
      }
    });
    const unkId = idByToken.get(unkToken);
    if (unkId === undefined)
      throw new TokenizerError(`unknown token ${JSON.stringify(unkToken)} not in vocab`);
    this.tokens = [...tokens];
    this.specialTokens = [...specials];
    this.unkId = unkId;
    this.idByToken = idByToken;
    this.specialIds = new Set([...specials].map((s) => idByToken.get(s)!));
    this.specialsLongestFirst = [...specials].sort((a, b) => b.length - a.length);
  }

  /** The project tokenizer (ids fixed in the header comment). */
  static lab(): CharTokenizer {
    return new CharTokenizer(labVocabulary(), [PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN], UNK_TOKEN);
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  idOf(token: string): number | undefined {
    return this.idByToken.get(token);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Ids and the characters that fell back to <unk>. */
  encodeWithReport(text: string): EncodeResult {
    const ids: number[] = [];
    const unknown: UnknownCharacter[] = [];
    let i = 0;
    outer: while (i < text.length) {
      for (const special of this.specialsLongestFirst) {
        if (text.startsWith(special, i)) {
          ids.push(this.idByToken.get(special)!);
          i += special.length;
          continue outer;
        }
      }
      // One Unicode code point (a surrogate pair counts once, as in `tokenizers`).
      const char = String.fromCodePoint(text.codePointAt(i)!);
      const id = this.idByToken.get(char);
      if (id === undefined || this.specialIds.has(id)) {
        ids.push(this.unkId);
        unknown.push({ index: i, char });
      } else {
        ids.push(id);
      }
      i += char.length;
    }
    return { ids, unknown };
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const { ids, unknown } = this.encodeWithReport(text);
    if (unknown.length && options.onUnknown === 'throw') {
      const first = unknown[0];
      const code = first.char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new TokenizerError(
        `character ${JSON.stringify(first.char)} (U+${code}) at index ${first.index} is not in the vocabulary` +
          (unknown.length > 1 ? ` (${unknown.length} unknown characters in all)` : ''),
      );
    }
    return ids;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = this.tokens[id];
      if (!Number.isInteger(id) || token === undefined) {
        throw new TokenizerError(
          `id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`,
        );
      }
      if (options.skipSpecialTokens && this.specialIds.has(id)) continue;
      text += token;
    }
    return text;
  }

  /**
   * HF `tokenizers` JSON (the tokenizer.json file of a checkpoint directory): a byte-level BPE with no
   * merges, vocab keys of ordinary tokens in the byte-to-unicode alphabet, specials as literal added
   * tokens. Throws for an ordinary token of more than one UTF-8 byte, which would need merges.
   */
  toHfTokenizerJson(): HfTokenizerJson {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((token, id) => {
      const key = this.specialIds.has(id) ? token : byteLevelKey(token, id);
      if (key in vocab) {
        throw new TokenizerError(
          `tokens ${vocab[key]} and ${id} both become vocab key ${JSON.stringify(key)} in tokenizer.json`,
        );
      }
      vocab[key] = id;
    });
    const addedTokens = [...this.specialIds]
      .sort((a, b) => a - b)
      .map((id) => ({
        id,
        content: this.tokens[id],
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      }));
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: { ...BYTE_LEVEL_SETTINGS },
      post_processor: null,
      decoder: { ...BYTE_LEVEL_SETTINGS },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.tokens[this.unkId],
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  /**
   * Reads a tokenizer.json back. Accepts exactly the shapes the lab writes: the byte-level BPE of
   * `toHfTokenizerJson`, and the char-level WordLevel form of earlier versions (saved runs must keep
   * loading). Anything else is refused with the field that differs, since encoding it with this class
   * would silently give other ids than `tokenizers` does.
   */
  static fromHfTokenizerJson(input: string | unknown): CharTokenizer {
    let json: unknown = input;
    if (typeof input === 'string') {
      try {
        json = JSON.parse(input);
      } catch (error) {
        throw new TokenizerError(`tokenizer.json is not valid JSON: ${(error as Error).message}`);
      }
    }
    if (!isObject(json)) throw new TokenizerError('tokenizer.json must be a JSON object');
    const model = json.model;
    const modelType = isObject(model) ? model.type : model;
    if (!isObject(model) || (modelType !== 'BPE' && modelType !== 'WordLevel')) {
      throw new TokenizerError(
        `tokenizer.json model.type must be "BPE" (byte-level, as the lab writes it) or "WordLevel" ` +
          `(checkpoints of earlier lab versions) (got ${JSON.stringify(modelType)})`,
      );
    }
    if (json.normalizer !== null && json.normalizer !== undefined) {
      throw new TokenizerError('tokenizer.json has a normalizer; the char tokenizer supports none');
    }
    if (json.post_processor !== null && json.post_processor !== undefined) {
      throw new TokenizerError(
        'tokenizer.json has a post_processor; the char tokenizer supports none (it would add ids)',
      );
    }
    if (modelType === 'BPE') checkByteLevelBpe(json, model);
    else checkLegacyWordLevel(json);
    if (!isObject(model.vocab)) throw new TokenizerError('tokenizer.json model.vocab must be an object');
    if (!Array.isArray(json.added_tokens))
      throw new TokenizerError('tokenizer.json added_tokens must be an array');
    const addedContents = new Set(
      json.added_tokens.map((added) => (isObject(added) ? added.content : undefined)),
    );
    const entries = Object.entries(model.vocab);
    const tokens: string[] = new Array(entries.length);
    for (const [key, id] of entries) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length) {
        throw new TokenizerError(
          `tokenizer.json vocab id ${JSON.stringify(id)} of ${JSON.stringify(key)} is not in [0, ${entries.length})`,
        );
      }
      if (tokens[id as number] !== undefined) {
        throw new TokenizerError(`tokenizer.json vocab id ${id} is used twice`);
      }
      // Added tokens are matched on their literal text; only ordinary BPE keys are byte-level.
      tokens[id as number] =
        modelType === 'BPE' && !addedContents.has(key) ? characterOfByteLevelKey(key) : key;
    }
    if (typeof model.unk_token !== 'string')
      throw new TokenizerError('tokenizer.json model.unk_token missing');
    const specials: string[] = [];
    for (const added of json.added_tokens) {
      if (!isObject(added) || typeof added.content !== 'string' || !Number.isInteger(added.id)) {
        throw new TokenizerError(`tokenizer.json added token ${JSON.stringify(added)} lacks id/content`);
      }
      if (tokens[added.id as number] !== added.content) {
        throw new TokenizerError(
          `tokenizer.json added token ${JSON.stringify(added.content)} has id ${added.id} but the vocab says ` +
            `${JSON.stringify(model.vocab[added.content as string])}`,
        );
      }
      if (added.special !== true) {
        throw new TokenizerError(
          `tokenizer.json added token ${JSON.stringify(added.content)} must be special`,
        );
      }
      specials.push(added.content);
    }
    return new CharTokenizer(tokens, specials, model.unk_token);
  }

  /**
   * The TypeScript twin of the chat_template in tokenizer_config.json: Qwen's im_start/im_end turns
   * without Qwen's default system message (MiniMath prompts have none).
   */
  applyChatTemplate(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    let text = '';
    for (const message of messages) text += `${BOS_TOKEN}${message.role}\n${message.content}${EOS_TOKEN}\n`;
    if (addGenerationPrompt) text += `${BOS_TOKEN}assistant\n`;
    return text;
  }

  /** transformers' tokenizer_config.json: which special token plays which role, and the chat template. */
  toHfTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
    const addedTokensDecoder: Record<string, unknown> = {};
    for (const id of [...this.specialIds].sort((a, b) => a - b)) {
      addedTokensDecoder[String(id)] = {
        content: this.tokens[id],
        lstrip: false,
        normalized: false,
        rstrip: false,
        single_word: false,
        special: true,
      };
    }
    return {
      tokenizer_class: 'PreTrainedTokenizerFast',
      added_tokens_decoder: addedTokensDecoder,
      bos_token: BOS_TOKEN,
      eos_token: EOS_TOKEN,
      pad_token: PAD_TOKEN,
      unk_token: this.tokens[this.unkId],
      additional_special_tokens: [BOS_TOKEN, EOS_TOKEN],
      chat_template: QWEN_STYLE_CHAT_TEMPLATE,
      // Cleanup would rewrite " ." to "." on decode; the char tokenizer must decode text verbatim.
      clean_up_tokenization_spaces: false,
      model_max_length: modelMaxLength,
      padding_side: 'right',
      split_special_tokens: false,
    };
  }
}

/** Jinja template mirroring Qwen2.5's im_start/im_end turns (see CharTokenizer.applyChatTemplate). */
export const QWEN_STYLE_CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + " +
  "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** The tokenizer.json the lab writes (a byte-level BPE without merges; see toHfTokenizerJson). */
export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
  normalizer: null;
  pre_tokenizer: HfByteLevel;
  post_processor: null;
  decoder: HfByteLevel;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    /** Ordinary tokens keyed by their byte-level characters, specials by their literal text. */
    vocab: Record<string, number>;
    /** Always empty: every ordinary token is a single byte. */
    merges: [string, string][];
  };
}

export interface HfByteLevel {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

/** The vocab key of an ordinary token: its one UTF-8 byte in the byte-to-unicode alphabet. */
function byteLevelKey(token: string, id: number): string {
  const bytes = utf8.encode(token);
  if (bytes.length !== 1) {
    throw new TokenizerError(
      `token ${id} ${JSON.stringify(token)} is ${bytes.length} UTF-8 bytes; tokenizer.json is a byte-level ` +
        'BPE without merges, so only single-byte (ASCII) tokens or special tokens can be exported',
    );
  }
  return BYTE_TO_UNICODE[bytes[0]];
}

/** Inverse of byteLevelKey: the key must be one byte-level character of an ASCII byte. */
function characterOfByteLevelKey(key: string): string {
  const byte = [...key].length === 1 ? UNICODE_TO_BYTE.get(key) : undefined;
  if (byte === undefined) {
    throw new TokenizerError(
      `tokenizer.json vocab key ${JSON.stringify(key)} is not one byte-level character (merges are empty, ` +
        'so only single bytes are tokens)',
    );
  }
  if (byte >= 0x80) {
    throw new TokenizerError(
      `tokenizer.json vocab key ${JSON.stringify(key)} is byte 0x${byte.toString(16).toUpperCase()}, ` +
        'not a whole UTF-8 character',
    );
  }
  return String.fromCharCode(byte);
}

/**
 * The model, pre-tokenizer and decoder settings of the byte-level form that change ids or text.
 * (dropout, ignore_merges and trim_offsets have no effect without merges or only touch offsets.)
 */
function checkByteLevelBpe(json: Record<string, unknown>, model: Record<string, unknown>): void {
  if (!Array.isArray(model.merges) || model.merges.length !== 0) {
    const got = Array.isArray(model.merges) ? `${model.merges.length} merges` : JSON.stringify(model.merges);
    throw new TokenizerError(
      `tokenizer.json model.merges must be empty (got ${got}): the char tokenizer has one token per byte`,
    );
  }
  expectFields(
    'model',
    model,
    {
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
    },
    true,
  );
  if (!isObject(json.pre_tokenizer)) {
    throw new TokenizerError(
      `tokenizer.json pre_tokenizer must be ${JSON.stringify(BYTE_LEVEL_SETTINGS)} (got ${JSON.stringify(json.pre_tokenizer)})`,
    );
  }
  expectFields('pre_tokenizer', json.pre_tokenizer, {
    type: 'ByteLevel',
    add_prefix_space: false,
    use_regex: false,
  });
  if (!isObject(json.decoder) || json.decoder.type !== 'ByteLevel') {
    throw new TokenizerError(
      `tokenizer.json decoder.type must be "ByteLevel" (got ${JSON.stringify(isObject(json.decoder) ? json.decoder.type : json.decoder)})`,
    );
  }
}

/**
 * Each field must equal its expected value. With `absentMeansNullOrFalse` a missing field passes when
 * null/false is expected (the BPE model's serde defaults); ByteLevel's use_regex defaults to true, so
 * the pre-tokenizer's fields must be present.
 */
function expectFields(
  path: string,
  object: Record<string, unknown>,
  expected: Record<string, string | boolean | null>,
  absentMeansNullOrFalse = false,
): void {
  for (const [field, value] of Object.entries(expected)) {
    const got = object[field];
    const isDefault = absentMeansNullOrFalse && got === undefined && (value === null || value === false);
    if (got !== value && !isDefault) {
      throw new TokenizerError(
        `tokenizer.json ${path}.${field} must be ${JSON.stringify(value)} (got ${JSON.stringify(got)})`,
      );
    }
  }
}

/** The WordLevel form of earlier lab versions: Split on every character, Fuse decoder. */
function checkLegacyWordLevel(json: Record<string, unknown>): void {
  const pre = json.pre_tokenizer;
  if (
    !isObject(pre) ||
    pre.type !== 'Split' ||
    !isObject(pre.pattern) ||
    pre.pattern.Regex !== EVERY_CHARACTER_PATTERN ||
    pre.behavior !== 'Isolated' ||
    pre.invert !== false
  ) {
    throw new TokenizerError(
      `tokenizer.json pre_tokenizer must split every character (Split, Regex ${JSON.stringify(EVERY_CHARACTER_PATTERN)}, Isolated) for a WordLevel model`,
    );
  }
  if (!isObject(json.decoder) || json.decoder.type !== 'Fuse') {
    throw new TokenizerError(
      'tokenizer.json decoder must be {"type": "Fuse"} (concatenate tokens) for a WordLevel model',
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
