"""The umT5 tokenizer of Wan2.1: the official prompt cleaning, a reduced tokenizer.json of the
release's kind, and a Python mirror of how Hugging Face tokenizers encodes with it.

The release's google/umt5-xxl/tokenizer.json is a Unigram model (256k sentencepiece pieces, <pad>=0,
</s>=1, <unk>=2) behind a `Precompiled` normalizer (sentencepiece's nmt_nfkc character map) and a
Metaspace pre-tokenizer, with a TemplateProcessing post-processor appending </s>. Packs carry that
file and Java runs it with the same Rust library the official AutoTokenizer uses.

The reduced release cannot carry a Precompiled map (it is a compiled double-array trie that only
sentencepiece's trainer writes), so its tokenizer.json normalises with `NFKC` instead, the Unicode
form nmt_nfkc is built on, followed by the collapse of runs of spaces the converted T5 tokenizers
have. Everything else is the release's kind of file. `UnigramTokenizer` mirrors exactly that file:
added tokens matched in the raw text, NFKC, Metaspace, Viterbi over the pieces with fused unknowns.
"""
import html
import json
import re
import unicodedata
from pathlib import Path

SPACE = '\u2581'
SPECIALS = ['<pad>', '</s>', '<unk>']  # ids 0, 1, 2 as in the release
UNK_PENALTY = 10.0  # tokenizers' Unigram: an unknown character costs min_score - 10

# The official prompt cleaning uses the `regex` module, whose \s is Unicode White_Space (unlike
# Python's re, it does not match U+001C..U+001F). Written out so the mirror does not depend on it.
WHITE_SPACE = re.compile('[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+')

CURLY_SINGLE = re.compile('[\u2018-\u201b\u02bc]')
CURLY_DOUBLE = re.compile('[\u201c-\u201f]')


def clean(text):
    """wan/modules/tokenizers.py, clean='whitespace': whitespace_clean(basic_clean(text)).

    basic_clean is ftfy.fix_text, two html.unescape and strip. ftfy is not installed here; of it,
    only what changes well-formed text is done, as Java's WanPromptCleaning does: curly quotes made
    straight, then NFC. Its repair of mojibake is left out.
    """
    text = CURLY_DOUBLE.sub('"', CURLY_SINGLE.sub("'", text))
    text = unicodedata.normalize('NFC', text)
    text = html.unescape(html.unescape(text)).strip()
    return WHITE_SPACE.sub(' ', text).strip()


# ---------------------------------------------------------------------------------------------
# The reduced tokenizer.json

WORDS = """a an the of on in to and with at from over under across into through while is are
red green blue yellow white black purple orange pink brown gray small large tiny big bright dark
cat dog bird fish ball cube box car tree city street sky sea river mountain forest field light
running walking flying jumping moving falling rising slowly quickly camera view shot close
morning night sunset rain snow wind water fire glass wood stone metal paper people man woman child
A The In On video scene""".split()
FRAGMENTS = """ing ed er es ly s th he in an re on at en nd ou ea st ar or al it is 19 20 00 202 ion""".split()
CHARACTERS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  ".,!?;:'\"-()[]/&%$#@*+=<>_~") + list("éèàüöäßçñ中文日本猫犬雪の")


def reduced_vocab(size):
    """[piece, score] pairs: specials, the space piece, words, fragments, characters.

    Scores are log-probability-like and all distinct (a Viterbi tie would make the mirror depend on
    the order the library visits candidates): whole words beat their spelling, fragments beat
    characters. Emoji and most scripts stay out, so prompts exercise <unk>.
    """
    vocab = [[s, 0.0] for s in SPECIALS] + [[SPACE, -2.0]]
    vocab += [[SPACE + w, -4.0 - 0.01 * i] for i, w in enumerate(WORDS)]
    vocab += [[f, -7.0 - 0.01 * i] for i, f in enumerate(FRAGMENTS)]
    vocab += [[c, -9.0 - 0.01 * i] for i, c in enumerate(CHARACTERS)]
    vocab += [[SPACE + c, -8.0 - 0.01 * i] for i, c in enumerate('abcdefghijklmnopqrstuvwxyz0123456789')]
    if len(vocab) > size:
        raise ValueError(f"{len(vocab)} pieces do not fit a vocabulary of {size}")
    return vocab


def tokenizer_json(vocab):
    def special(token):
        return {'SpecialToken': {'id': token, 'type_id': 0}}

    def sequence(name):
        return {'Sequence': {'id': name, 'type_id': 0}}

    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [{'id': i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for i, s in enumerate(SPECIALS)],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'NFKC'},  # the release: {'type': 'Precompiled', 'precompiled_charsmap': ...}
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '}]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': SPACE, 'prepend_scheme': 'always', 'split': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [sequence('A'), special('</s>')],
            'pair': [sequence('A'), special('</s>'), sequence('B'), special('</s>')],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [1], 'tokens': ['</s>']}},
        },
        'decoder': {'type': 'Metaspace', 'replacement': SPACE, 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': 2, 'vocab': vocab, 'byte_fallback': False},
    }


def write_reduced_tokenizer(folder, vocab_size, text_len=512):
    """Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json as the release has
    them (the release's spiece.model, sentencepiece's own file, is not written: nothing reads it
    when tokenizer.json is present)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = {'eos_token': '</s>', 'pad_token': '<pad>', 'unk_token': '<unk>'}
    _write(folder / 'tokenizer.json', tokenizer_json(reduced_vocab(vocab_size)))
    _write(folder / 'special_tokens_map.json', tokens)
    _write(folder / 'tokenizer_config.json', dict(tokens, tokenizer_class='T5Tokenizer', extra_ids=0,
                                                  additional_special_tokens=[], model_max_length=text_len,
                                                  sp_model_kwargs={}, clean_up_tokenization_spaces=True))
    return folder / 'tokenizer.json'


def _write(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')


# ---------------------------------------------------------------------------------------------
# The mirror

class UnigramTokenizer:
    """Encodes as Hugging Face tokenizers does with a tokenizer.json written above."""

    def __init__(self, path):
        spec = json.loads(Path(path).read_text(encoding='utf-8'))
        if [n['type'] for n in spec['normalizer']['normalizers']] != ['NFKC', 'Replace']:
            raise ValueError("the mirror knows the reduced normalizer only (the release's needs Rust)")
        model = spec['model']
        self.pieces = {piece: (i, score) for i, (piece, score) in enumerate(model['vocab'])}
        self.unk_id = model['unk_id']
        self.unk_score = min(score for _, score in model['vocab']) - UNK_PENALTY
        self.longest = max(len(p) for p in self.pieces)
        added = sorted((t['content'] for t in spec['added_tokens']), key=len, reverse=True)
        self.added = {t['content']: t['id'] for t in spec['added_tokens']}
        self.added_re = re.compile('(' + '|'.join(map(re.escape, added)) + ')')
        self.eos = self.added['</s>']

    def words(self, text):
        """Metaspace: spaces become the meta symbol, each segment starts with one, split before each."""
        text = re.sub(' {2,}', ' ', unicodedata.normalize('NFKC', text)).replace(' ', SPACE)
        if not text:
            return []
        if not text.startswith(SPACE):
            text = SPACE + text
        return [SPACE + w for w in text.split(SPACE)[1:]]

    def viterbi(self, word):
        # best[end] = (score, start, id) of the best segmentation of word[:end]; on equal scores the
        # first candidate found stays, as in tokenizers.
        best = [(0.0, None, None)] + [None] * len(word)
        for start in range(len(word)):
            base = best[start][0]
            single = False
            for end in range(start + 1, min(len(word), start + self.longest) + 1):
                hit = self.pieces.get(word[start:end])
                if hit is None:
                    continue
                single |= end == start + 1
                if best[end] is None or base + hit[1] > best[end][0]:
                    best[end] = (base + hit[1], start, hit[0])
            if not single and (best[start + 1] is None or base + self.unk_score > best[start + 1][0]):
                best[start + 1] = (base + self.unk_score, start, self.unk_id)
        ids, end = [], len(word)
        while end > 0:
            _, start, token = best[end]
            if not (token == self.unk_id and ids and ids[-1] == self.unk_id):  # unknowns fuse
                ids.append(token)
            end = start
        return ids[::-1]

    def encode(self, text):
        """Ids of `text` (already cleaned) followed by </s>, untruncated."""
        ids = []
        for i, part in enumerate(self.added_re.split(text)):
            if i % 2:
                ids.append(self.added[part])
            else:
                for word in self.words(part):
                    ids += self.viterbi(word)
        return ids + [self.eos]

    def encode_padded(self, prompt, text_len):
        """What the official pipeline feeds the encoder: clean, tokenize, keep the first text_len - 1
        tokens and </s>, pad with <pad>=0; attention mask 1 on tokens, 0 on padding."""
        ids = self.encode(clean(prompt))
        ids = ids[:-1][:text_len - 1] + [self.eos]
        padding = [0] * (text_len - len(ids))
        return ids + padding, [1] * len(ids) + padding


REFERENCE_PROMPTS = [
    "A red ball bouncing on the floor.",
    "  Two   cats,\tthree dogs\nand 2024 birds -- running (quickly)!  ",
    "Café crème, Straße & naïve façade: ｆｕｌｌｗｉｄｔｈ Ｗｉｄｅ ﬁsh",
    "中文日本の猫 🐱 in the snow at 19:00",
    "Tom &amp; Jerry &lt;3 said &quot;hi&quot; </s> and <unk> literally",
    "She said \u201cit\u2019s a cat\u201d &amp;amp; left",
    "",
    "...",
]


def token_fixture(tokenizer_path, prompts=REFERENCE_PROMPTS):
    """{prompts: [{prompt, cleaned, ids}]}: what Java must reproduce (ids without padding)."""
    tok = UnigramTokenizer(tokenizer_path)
    return {'tokenizer': 'google/umt5-xxl/tokenizer.json (reduced)',
            'prompts': [{'prompt': p, 'cleaned': clean(p), 'ids': tok.encode(clean(p))} for p in prompts]}
