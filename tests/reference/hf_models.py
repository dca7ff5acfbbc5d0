#!/usr/bin/python3
"""Reference fixtures for loading Hugging Face cross-encoder folders (issue 11).

Writes tiny random-weight model folders laid out as the Hub publishes them, and the scores an
independent PyTorch forward, written here from the published architectures, gives on >= 40 pairs
(long and non-English ones among them). The token ids come from Hugging Face's own Rust
`tokenizers` (Node bindings, tokenize.mjs), never from this repository's code.

Run with Debian's PyTorch (apt-get install python3-torch python3-numpy python3-sentencepiece), from
the repository root, in two steps around the tokenizer reference:

    /usr/bin/python3 tests/reference/hf_models.py write  tests/fixtures/hf-models
    (cd SCRATCH && npm install tokenizers@0.23.2 @huggingface/transformers) && NODE_PATH=SCRATCH/node_modules \\
        node tests/reference/tokenize.mjs tests/fixtures/hf-models
    /usr/bin/python3 tests/reference/hf_models.py score  tests/fixtures/hf-models

`write` makes the folders and, per folder, ref/tokenizer.json: the fast tokenizer that
transformers' BertTokenizerFast runs for that folder (its normalizer set from tokenizer_config.json,
as BertTokenizerFast.__init__ rewrites it). `tokenize.mjs` writes ref/ids.json with the ids of every
pair at the length CrossEncoder truncates to (model_max_length). `score` runs the reference forward
on those ids and writes expected.json: ids and logits per pair.

Folders (BERT path, issue 11 part A):
  bert-msmarco      uncased; model.safetensors keeps the int64 buffer bert.embeddings.position_ids
                    (as cross-encoder/ms-marco-MiniLM-L6-v2 ships it); tokenizer_config.json as there,
                    model_max_length 64 below max_position_embeddings 128.
  bert-cased        do_lower_case false (cased vocabulary with upper-case letters); special_tokens_map.json.
  bert-tokjson-sharded  no vocab.txt: WordPiece vocabulary inside tokenizer.json; weights sharded
                    (model.safetensors.index.json + 2 shards) with LayerNorm.gamma/beta names;
                    do_lower_case false, strip_accents true, tokenize_chinese_chars false.
  bert-nli-bin      three labels (an NLI head), weights as pytorch_model.bin.index.json + 2 torch.save shards.
  deberta-v2        a DeBERTa-v2 config (unsupported architecture).
"""
import json
import math
import os
import struct
import sys
from collections import Counter, OrderedDict

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


# ----------------------------------------------------------------------------- texts
def sample_texts():
    corpus = [json.loads(l) for l in open(os.path.join(ROOT, "corpora/sample/corpus.jsonl"), encoding="utf-8")]
    queries = [json.loads(l)["text"] for l in open(os.path.join(ROOT, "corpora/sample/queries.jsonl"), encoding="utf-8")]
    return corpus, queries


def pairs():
    corpus, queries = sample_texts()
    docs = [(d["title"] + " " + d["text"]).strip() for d in corpus]
    result = []
    for i, q in enumerate(queries):
        result.append([q, docs[(3 * i) % len(docs)]])
        result.append([q, docs[(3 * i + 7) % len(docs)]])
    long_doc = " ".join(docs[:6])  # far beyond every max length: longest-first truncation
    result += [
        ["Who wrote Hamlet?", "Hamlet was written by William Shakespeare around 1600."],
        ["WHO WROTE HAMLET?", "hamlet was written by william shakespeare around 1600."],
        ["Wer schrieb Faust?", "Goethes Faust erschien 1808; die Tragödie spielt in Deutschland und ist weltberühmt."],
        ["Où se trouve la tour Eiffel ?", "La tour Eiffel se situe à Paris, près de la Seine. Élevée en 1889, elle mesure 330 mètres."],
        ["¿Qué es la fotosíntesis?", "La fotosíntesis convierte la luz en energía química en las plantas verdes."],
        ["光合作用是什么？", "光合作用是植物利用光能把二氧化碳和水合成有机物的过程。"],
        ["東京の人口は？", "東京都の人口は約1400万人です。"],
        ["Что такое фотосинтез?", "Фотосинтез — это процесс образования органических веществ на свету."],
        ["café naïve résumé", "Café, naïve and résumé keep their accents in cased models: Crème Brûlée."],
        ["a [SEP] inside", "Special tokens written in text: [CLS] and [SEP] and [sep] and [MASK]."],
        ["long document", long_doc],
        [long_doc, "a long query against a short document"],
        [long_doc, long_doc[::-1]],
        ["emoji 🙂 and symbols ± × ≥", "p≥0.05, 3×4=12, temperature ±2 °C 🙂"],
        ["", "an empty query"],
        ["tabs\tand\nnewlines", "control\u0007chars and zero\u200bwidth spaces,   three spaces, |||EMAIL_ADDRESS||| placeholder"],
    ]
    return result


# ----------------------------------------------------------------------------- vocabulary
def word_pieces(texts, lowercase, strip):
    """A WordPiece vocabulary that covers the texts: the specials, every character alone and as ##c,
    and the most frequent words (so that many words are whole tokens and others split)."""
    import unicodedata

    def norm(t):
        if strip:
            t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
        return t.lower() if lowercase else t

    chars, words = set(), Counter()
    for t in texts:
        t = norm(t)
        word = ""
        for c in t:
            if c.isspace() or unicodedata.category(c).startswith("P") or (c.isascii() and not c.isalnum()):
                if word:
                    words[word] += 1
                word = ""
            else:
                word += c
            if not c.isspace():
                chars.add(c)
        if word:
            words[word] += 1
    vocab = list(SPECIALS)
    chars = sorted(chars)
    # Leave a few characters out so that [UNK] occurs.
    chars = [c for c in chars if c not in ("🙂", "Ж")]
    vocab += chars + ["##" + c for c in chars if c.isalnum()]
    for w, _ in words.most_common(300):
        if len(w) > 1 and w not in vocab:
            vocab.append(w)
        if len(w) > 4 and "##" + w[2:] not in vocab:
            vocab.append("##" + w[2:])
    return vocab


# ----------------------------------------------------------------------------- BERT reference forward
def bert_weights(cfg, seed, prefix="bert."):
    g = torch.Generator().manual_seed(seed)
    H, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]

    def r(*shape, scale=0.2):
        return torch.randn(*shape, generator=g) * scale

    w = OrderedDict()
    p = prefix + "embeddings."
    w[p + "word_embeddings.weight"] = r(cfg["vocab_size"], H)
    w[p + "position_embeddings.weight"] = r(cfg["max_position_embeddings"], H)
    w[p + "token_type_embeddings.weight"] = r(cfg["type_vocab_size"], H)
    w[p + "LayerNorm.weight"] = 1 + r(H, scale=0.1)
    w[p + "LayerNorm.bias"] = r(H, scale=0.1)
    for i in range(L):
        p = f"{prefix}encoder.layer.{i}."
        for name in ("query", "key", "value"):
            w[p + f"attention.self.{name}.weight"] = r(H, H)
            w[p + f"attention.self.{name}.bias"] = r(H, scale=0.05)
        w[p + "attention.output.dense.weight"] = r(H, H)
        w[p + "attention.output.dense.bias"] = r(H, scale=0.05)
        w[p + "attention.output.LayerNorm.weight"] = 1 + r(H, scale=0.1)
        w[p + "attention.output.LayerNorm.bias"] = r(H, scale=0.1)
        w[p + "intermediate.dense.weight"] = r(I, H)
        w[p + "intermediate.dense.bias"] = r(I, scale=0.05)
        w[p + "output.dense.weight"] = r(H, I)
        w[p + "output.dense.bias"] = r(H, scale=0.05)
        w[p + "output.LayerNorm.weight"] = 1 + r(H, scale=0.1)
        w[p + "output.LayerNorm.bias"] = r(H, scale=0.1)
    w[prefix + "pooler.dense.weight"] = r(H, H)
    w[prefix + "pooler.dense.bias"] = r(H, scale=0.05)
    w["classifier.weight"] = r(cfg["num_labels"], H, scale=0.5)
    w["classifier.bias"] = r(cfg["num_labels"], scale=0.1)
    return w


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def encoder_layers(h, w, prefix, cfg, mask):
    """Post-LN transformer layers of BERT (Devlin et al. 2019; transformers' modeling_bert): h [L, H], mask [L]."""
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    d = H // heads
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{i}."

        def lin(x, name):
            return x @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q = lin(h, "attention.self.query").view(-1, heads, d).transpose(0, 1)
        k = lin(h, "attention.self.key").view(-1, heads, d).transpose(0, 1)
        v = lin(h, "attention.self.value").view(-1, heads, d).transpose(0, 1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + (1 - mask)[None, None, :] * torch.finfo(torch.float64).min
        ctx = (scores.softmax(-1) @ v).transpose(0, 1).reshape(-1, H)
        h = layer_norm(h + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        inter = gelu(lin(h, "intermediate.dense"))
        h = layer_norm(h + lin(inter, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return h


def bert_logits(w, cfg, ids, types, prefix="bert."):
    w = {k: v.double() for k, v in w.items()}
    ids, types = torch.tensor(ids), torch.tensor(types)
    positions = torch.arange(len(ids))
    p = prefix + "embeddings."
    h = w[p + "word_embeddings.weight"][ids] + w[p + "position_embeddings.weight"][positions] + w[p + "token_type_embeddings.weight"][types]
    h = layer_norm(h, w[p + "LayerNorm.weight"], w[p + "LayerNorm.bias"], cfg["layer_norm_eps"])
    h = encoder_layers(h, w, prefix, cfg, torch.ones(len(ids), dtype=torch.float64))
    pooled = torch.tanh(h[0] @ w[prefix + "pooler.dense.weight"].T + w[prefix + "pooler.dense.bias"])
    return (pooled @ w["classifier.weight"].T + w["classifier.bias"]).tolist()


# ----------------------------------------------------------------------------- files
def write_safetensors(path, tensors):
    """The safetensors layout (8-byte header length, JSON header, raw little-endian data), written by hand."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def bert_config(vocab_size, num_labels=1, id2label=None):
    cfg = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": vocab_size,
        "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 128, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
        "initializer_range": 0.02, "position_embedding_type": "absolute", "num_labels": num_labels,
    }
    if id2label:
        cfg["id2label"] = {str(i): l for i, l in enumerate(id2label)}
        cfg["label2id"] = {l: i for i, l in enumerate(id2label)}
    return cfg


def bert_tokenizer_json(vocab, lowercase, strip_accents, chinese, max_length):
    """What BertTokenizerFast saves (and runs after rewriting its normalizer to tokenizer_config.json's values)."""
    ids = {t: i for i, t in enumerate(vocab)}
    return {
        "version": "1.0",
        "truncation": None, "padding": None,
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in SPECIALS],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": chinese,
                       "strip_accents": strip_accents, "lowercase": lowercase},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }


def write_bert(out, name, lowercase, strip_accents, chinese, seed, layout, model_max_length=64, labels=None):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "ref"), exist_ok=True)
    texts = [t for p in pairs() for t in p]
    strip = lowercase if strip_accents is None else strip_accents
    vocab = word_pieces(texts, lowercase, strip)
    cfg = bert_config(len(vocab), len(labels) if labels else 1, labels)
    dump(os.path.join(folder, "config.json"), cfg)
    w = bert_weights(cfg, seed)
    tok_config = {
        "do_lower_case": lowercase, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]", "tokenize_chinese_chars": chinese, "strip_accents": strip_accents,
        "special_tokens_map_file": None, "name_or_path": "tiny/" + name, "do_basic_tokenize": True, "never_split": None,
        "model_max_length": model_max_length, "tokenizer_class": "BertTokenizer",
    }
    tj = bert_tokenizer_json(vocab, lowercase, strip_accents, chinese, model_max_length)
    if layout == "msmarco":
        tensors = OrderedDict(w)
        tensors["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"], dtype=torch.int64)[None, :]
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
        open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8").write("".join(t + "\n" for t in vocab))
    elif layout == "cased":
        write_safetensors(os.path.join(folder, "model.safetensors"), w)
        open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8").write("".join(t + "\n" for t in vocab))
        dump(os.path.join(folder, "special_tokens_map.json"), {t[1:-1].lower() + "_token": t for t in SPECIALS})
    elif layout == "tokjson-sharded":
        legacy = OrderedDict((k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"), v) for k, v in w.items())
        keys = list(legacy)
        shards = {"model-00001-of-00002.safetensors": keys[: len(keys) // 2], "model-00002-of-00002.safetensors": keys[len(keys) // 2:]}
        weight_map = {}
        for shard, names in shards.items():
            write_safetensors(os.path.join(folder, shard), OrderedDict((k, legacy[k]) for k in names))
            weight_map.update({k: shard for k in names})
        dump(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {"total_size": sum(v.numel() * 4 for v in w.values())}, "weight_map": weight_map})
        dump(os.path.join(folder, "tokenizer.json"), tj)
    elif layout == "bin-sharded":
        keys = list(w)
        shards = {"pytorch_model-00001-of-00002.bin": keys[: len(keys) // 3], "pytorch_model-00002-of-00002.bin": keys[len(keys) // 3:]}
        weight_map = {}
        for shard, names in shards.items():
            torch.save(OrderedDict((k, w[k]) for k in names), os.path.join(folder, shard))
            weight_map.update({k: shard for k in names})
        dump(os.path.join(folder, "pytorch_model.bin.index.json"), {"metadata": {"total_size": 0}, "weight_map": weight_map})
        open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8").write("".join(t + "\n" for t in vocab))
    dump(os.path.join(folder, "tokenizer_config.json"), tok_config)
    dump(os.path.join(folder, "ref", "tokenizer.json"), tj)
    dump(os.path.join(folder, "ref", "settings.json"), {"max_length": model_max_length})
    torch.save(w, os.path.join(folder, "ref", "weights.pt"))


# ----------------------------------------------------------------------------- XLM-RoBERTa
def proto_field(data, wanted):
    """The first length-delimited field number `wanted` of a protobuf message (wire format, by hand)."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = varint(data, i)
            if field == wanted:
                return data[i:i + length]
            i += length
        else:
            raise ValueError("wire type %d" % wire)
    return None


def varint(data, i):
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def train_sentencepiece(folder, vocab_size, seed_texts):
    """A SentencePiece Unigram model (nmt_nfkc normalization, as XLM-R's) trained on the sample corpus and the pair texts."""
    import sentencepiece as spm
    corpus, queries = sample_texts()
    lines = [d["title"] + " " + d["text"] for d in corpus] + queries + seed_texts
    text_path = os.path.join(folder, "ref", "train.txt")
    open(text_path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
    prefix = os.path.join(folder, "ref", "spm")
    spm.SentencePieceTrainer.train(input=text_path, model_prefix=prefix, vocab_size=vocab_size, model_type="unigram",
                                   character_coverage=0.995, seed_sentencepiece_size=100000, num_threads=1,
                                   minloglevel=2, hard_vocab_limit=False)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def xlmr_tokenizer_json(sp):
    """What transformers' XLMRobertaConverter makes of a SentencePiece model: fairseq ids (<s> <pad> </s> <unk>, then
    the pieces after SentencePiece's own three specials, then <mask>), the model's precompiled normalizer followed by
    collapsing runs of spaces, Metaspace pre-tokenization and the pair template <s> A </s></s> B </s>."""
    import base64
    charsmap = proto_field(proto_field(sp.serialized_model_proto(), 3), 2)
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[sp.id_to_piece(i), sp.get_score(i)] for i in range(3, sp.get_piece_size())]
    vocab += [["<mask>", 0.0]]
    special = lambda i, t, lstrip=False: {"id": i, "content": t, "single_word": False, "lstrip": lstrip, "rstrip": False, "normalized": False, "special": True}
    tok = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}
    seq = lambda s: {"Sequence": {"id": s, "type_id": 0}}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(0, "<s>"), special(1, "<pad>"), special(2, "</s>"), special(3, "<unk>"), special(len(vocab) - 1, "<mask>", True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [tok("<s>"), seq("A"), tok("</s>")],
                           "pair": [tok("<s>"), seq("A"), tok("</s>"), tok("</s>"), seq("B"), tok("</s>")],
                           "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in (("<s>", 0), ("</s>", 2))}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


def roberta_weights(cfg, seed):
    w = bert_weights(dict(cfg, num_labels=1), seed, prefix="roberta.")
    for k in ("roberta.pooler.dense.weight", "roberta.pooler.dense.bias", "classifier.weight", "classifier.bias"):
        w.pop(k)
    g = torch.Generator().manual_seed(seed + 1000)
    H = cfg["hidden_size"]
    w["classifier.dense.weight"] = torch.randn(H, H, generator=g) * 0.2
    w["classifier.dense.bias"] = torch.randn(H, generator=g) * 0.05
    w["classifier.out_proj.weight"] = torch.randn(cfg["num_labels"], H, generator=g) * 0.5
    w["classifier.out_proj.bias"] = torch.randn(cfg["num_labels"], generator=g) * 0.1
    return w


def roberta_logits(w, cfg, ids, types):
    """XLMRobertaForSequenceClassification (Conneau et al. 2020; transformers' modeling_xlm_roberta): BERT's layers,
    positions counted from padding_idx + 1 over non-padding tokens, RobertaClassificationHead on <s>."""
    w = {k: v.double() for k, v in w.items()}
    ids_t = torch.tensor(ids)
    pad = cfg["pad_token_id"]
    mask = (ids_t != pad).long()
    positions = torch.cumsum(mask, 0) * mask + pad
    p = "roberta.embeddings."
    h = w[p + "word_embeddings.weight"][ids_t] + w[p + "position_embeddings.weight"][positions] + w[p + "token_type_embeddings.weight"][torch.tensor(types)]
    h = layer_norm(h, w[p + "LayerNorm.weight"], w[p + "LayerNorm.bias"], cfg["layer_norm_eps"])
    h = encoder_layers(h, w, "roberta.", cfg, torch.ones(len(ids), dtype=torch.float64))
    x = torch.tanh(h[0] @ w["classifier.dense.weight"].T + w["classifier.dense.bias"])
    return (x @ w["classifier.out_proj.weight"].T + w["classifier.out_proj.bias"]).tolist()


def write_xlmr(out, name, seed, model_max_length=96):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "ref"), exist_ok=True)
    sp = train_sentencepiece(folder, 700, [t for p in pairs()[24:] for t in p])
    tj = xlmr_tokenizer_json(sp)
    cfg = {
        "architectures": ["XLMRobertaForSequenceClassification"], "model_type": "xlm-roberta", "vocab_size": len(tj["model"]["vocab"]),
        "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 130, "type_vocab_size": 1,
        "layer_norm_eps": 1e-05, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "initializer_range": 0.02,
        "position_embedding_type": "absolute", "classifier_dropout": None, "num_labels": 1,
        "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0},
    }
    dump(os.path.join(folder, "config.json"), cfg)
    w = roberta_weights(cfg, seed)
    tensors = OrderedDict(w)
    tensors["roberta.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"], dtype=torch.int64)[None, :]
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    dump(os.path.join(folder, "tokenizer.json"), tj)
    dump(os.path.join(folder, "tokenizer_config.json"), {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": {"content": "<mask>", "lstrip": True, "normalized": True, "rstrip": False, "single_word": False, "__type": "AddedToken"},
        "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>", "model_max_length": model_max_length,
        "tokenizer_class": "XLMRobertaTokenizer", "clean_up_tokenization_spaces": True})
    dump(os.path.join(folder, "special_tokens_map.json"), {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"})
    dump(os.path.join(folder, "ref", "tokenizer.json"), tj)
    dump(os.path.join(folder, "ref", "settings.json"), {"max_length": model_max_length})
    # SentencePiece itself, shifted to fairseq ids, as a second reference for the texts (written for tokenize.mjs to compare).
    texts = sorted({t for p in pairs() for t in p})
    dump(os.path.join(folder, "ref", "spm_ids.json"), {t: [3 if i == 0 else i + 1 for i in sp.encode(t)] for t in texts})
    torch.save(w, os.path.join(folder, "ref", "weights.pt"))


# ----------------------------------------------------------------------------- ELECTRA
def electra_weights(cfg, seed):
    w = bert_weights(dict(cfg, hidden_size=cfg["hidden_size"], num_labels=1), seed, prefix="electra.")
    for k in ("electra.pooler.dense.weight", "electra.pooler.dense.bias", "classifier.weight", "classifier.bias"):
        w.pop(k)
    g = torch.Generator().manual_seed(seed + 2000)
    H, E = cfg["hidden_size"], cfg["embedding_size"]
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
        key = "electra.embeddings." + name + ".weight"
        w[key] = torch.randn(w[key].shape[0], E, generator=g) * 0.3
    w["electra.embeddings.LayerNorm.weight"] = 1 + torch.randn(E, generator=g) * 0.1
    w["electra.embeddings.LayerNorm.bias"] = torch.randn(E, generator=g) * 0.1
    w["electra.embeddings_project.weight"] = torch.randn(H, E, generator=g) * 0.3
    w["electra.embeddings_project.bias"] = torch.randn(H, generator=g) * 0.05
    w["classifier.dense.weight"] = torch.randn(H, H, generator=g) * 0.2
    w["classifier.dense.bias"] = torch.randn(H, generator=g) * 0.05
    w["classifier.out_proj.weight"] = torch.randn(cfg["num_labels"], H, generator=g) * 0.5
    w["classifier.out_proj.bias"] = torch.randn(cfg["num_labels"], generator=g) * 0.1
    return w


def electra_logits(w, cfg, ids, types):
    """ElectraForSequenceClassification (Clark et al. 2020; transformers' modeling_electra): BERT embeddings at
    embedding_size, a linear projection to hidden_size, BERT's layers, ElectraClassificationHead (GELU) on [CLS]."""
    w = {k: v.double() for k, v in w.items()}
    ids_t, types_t = torch.tensor(ids), torch.tensor(types)
    p = "electra.embeddings."
    h = w[p + "word_embeddings.weight"][ids_t] + w[p + "position_embeddings.weight"][torch.arange(len(ids))] + w[p + "token_type_embeddings.weight"][types_t]
    h = layer_norm(h, w[p + "LayerNorm.weight"], w[p + "LayerNorm.bias"], cfg["layer_norm_eps"])
    h = h @ w["electra.embeddings_project.weight"].T + w["electra.embeddings_project.bias"]
    h = encoder_layers(h, w, "electra.", cfg, torch.ones(len(ids), dtype=torch.float64))
    x = gelu(h[0] @ w["classifier.dense.weight"].T + w["classifier.dense.bias"])
    return (x @ w["classifier.out_proj.weight"].T + w["classifier.out_proj.bias"]).tolist()


def write_electra(out, name, seed, model_max_length=72):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "ref"), exist_ok=True)
    vocab = word_pieces([t for p in pairs() for t in p], True, True)
    cfg = bert_config(len(vocab))
    cfg.update({"architectures": ["ElectraForSequenceClassification"], "model_type": "electra", "embedding_size": 16,
                "summary_type": "first", "summary_use_proj": True, "summary_activation": "gelu", "summary_last_dropout": 0.1})
    dump(os.path.join(folder, "config.json"), cfg)
    w = electra_weights(cfg, seed)
    saved = OrderedDict(w)
    saved["electra.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"])[None, :]
    torch.save(saved, os.path.join(folder, "pytorch_model.bin"))
    open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8").write("".join(t + "\n" for t in vocab))
    dump(os.path.join(folder, "tokenizer_config.json"), {"do_lower_case": True, "model_max_length": model_max_length, "tokenizer_class": "ElectraTokenizer"})
    dump(os.path.join(folder, "special_tokens_map.json"), {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"})
    dump(os.path.join(folder, "ref", "tokenizer.json"), bert_tokenizer_json(vocab, True, None, True, model_max_length))
    dump(os.path.join(folder, "ref", "settings.json"), {"max_length": model_max_length})
    torch.save(w, os.path.join(folder, "ref", "weights.pt"))


# ----------------------------------------------------------------------------- ModernBERT
def byte_to_unicode():
    """GPT-2's reversible byte -> printable character map (used by byte-level BPE)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    chars, n = keep[:], 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


def learn_bpe(texts, merges_wanted):
    """A byte-level BPE vocabulary learnt greedily from the texts (words split at spaces, a space kept in front as GPT-2
    does); only the merges need to be consistent, the ids are then computed by Hugging Face's tokenizers."""
    table = byte_to_unicode()
    words = Counter()
    for t in texts:
        for i, w in enumerate(t.split(" ")):
            if w:
                words[tuple(table[b] for b in ((" " if i else "") + w).encode("utf-8"))] += 1
    vocab = [table[b] for b in range(256)]
    merges = []
    for _ in range(merges_wanted):
        pairs_count = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs_count[(a, b)] += c
        if not pairs_count:
            break
        (a, b), _ = max(pairs_count.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append(a + " " + b)
        vocab.append(a + b)
        new_words = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += c
        words = new_words
    return vocab, merges


def modernbert_tokenizer_json(vocab, merges):
    """What ModernBERT's tokenizer.json holds: byte-level BPE (GPT-NeoX/OLMo style) and the [CLS] A [SEP] B [SEP] template."""
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    ids = {t: i for i, t in enumerate(vocab)}
    for t in specials:
        ids[t] = len(ids)
    tok = lambda t, ty=0: {"SpecialToken": {"id": t, "type_id": ty}}
    seq = lambda s, ty=0: {"Sequence": {"id": s, "type_id": ty}}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        # As ModernBERT's: [MASK] absorbs the spaces before it; non-special added tokens (runs of spaces, placeholders)
        # are matched in the normalized text.
        "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": t == "[MASK]", "rstrip": False, "normalized": False, "special": True} for t in specials]
                        + [{"id": len(ids) + k, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False}
                           for k, t in enumerate(["   ", "|||EMAIL_ADDRESS|||"])],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [tok("[CLS]"), seq("A"), tok("[SEP]")],
                           "pair": [tok("[CLS]"), seq("A"), tok("[SEP]"), seq("B", 1), tok("[SEP]", 1)],
                           "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": ids, "merges": merges},
    }, ids


def modernbert_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    H, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    r = lambda *shape, scale=0.2: torch.randn(*shape, generator=g) * scale
    w = OrderedDict()
    w["model.embeddings.tok_embeddings.weight"] = r(cfg["vocab_size"], H, scale=0.5)
    w["model.embeddings.norm.weight"] = 1 + r(H, scale=0.1)
    for i in range(L):
        p = f"model.layers.{i}."
        if i > 0:
            w[p + "attn_norm.weight"] = 1 + r(H, scale=0.1)
        w[p + "attn.Wqkv.weight"] = r(3 * H, H)
        w[p + "attn.Wo.weight"] = r(H, H)
        w[p + "mlp_norm.weight"] = 1 + r(H, scale=0.1)
        w[p + "mlp.Wi.weight"] = r(2 * I, H)
        w[p + "mlp.Wo.weight"] = r(H, I)
    w["model.final_norm.weight"] = 1 + r(H, scale=0.1)
    w["head.dense.weight"] = r(H, H)
    w["head.norm.weight"] = 1 + r(H, scale=0.1)
    w["classifier.weight"] = r(cfg["num_labels"], H, scale=0.5)
    w["classifier.bias"] = r(cfg["num_labels"], scale=0.1)
    return w


def modernbert_logits(w, cfg, ids, types):
    """ModernBertForSequenceClassification (Warner et al. 2024; transformers' modeling_modernbert): pre-norm layers
    without biases, rotary positions (global_rope_theta on every global_attn_every_n_layers-th layer, local_rope_theta
    and a sliding window of local_attention/2 either side on the others), GeGLU MLP, final norm, then the prediction
    head (dense, GELU, norm) on the mean (or [CLS]) state and the classifier."""
    w = {k: v.double() for k, v in w.items()}
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["norm_eps"]
    d = H // heads
    ln = lambda x, key: layer_norm(x, w[key], torch.zeros_like(w[key]), eps)
    n = len(ids)
    h = ln(w["model.embeddings.tok_embeddings.weight"][torch.tensor(ids)], "model.embeddings.norm.weight")
    pos = torch.arange(n, dtype=torch.float64)
    distance = (pos[:, None] - pos[None, :]).abs()
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        is_global = i % cfg["global_attn_every_n_layers"] == 0
        theta = cfg["global_rope_theta"] if is_global else cfg["local_rope_theta"]
        inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        freqs = pos[:, None] * inv[None, :]
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos(), emb.sin()
        rot = lambda x: torch.cat([-x[..., d // 2:], x[..., : d // 2]], -1)
        x = h if i == 0 else ln(h, p + "attn_norm.weight")
        qkv = (x @ w[p + "attn.Wqkv.weight"].T).view(n, 3, heads, d)
        q, k, v = qkv[:, 0].transpose(0, 1), qkv[:, 1].transpose(0, 1), qkv[:, 2].transpose(0, 1)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)
        if not is_global:
            scores = scores.masked_fill(distance > cfg["local_attention"] // 2, float("-inf"))
        ctx = (scores.softmax(-1) @ v).transpose(0, 1).reshape(n, H)
        h = h + ctx @ w[p + "attn.Wo.weight"].T
        x = ln(h, p + "mlp_norm.weight") @ w[p + "mlp.Wi.weight"].T
        inp, gate = x.chunk(2, -1)
        h = h + (gelu(inp) * gate) @ w[p + "mlp.Wo.weight"].T
    h = ln(h, "model.final_norm.weight")
    pooled = h.mean(0) if cfg["classifier_pooling"] == "mean" else h[0]
    x = ln(gelu(pooled @ w["head.dense.weight"].T), "head.norm.weight")
    return (x @ w["classifier.weight"].T + w["classifier.bias"]).tolist()


def write_modernbert(out, name, seed, model_max_length=88):
    folder = os.path.join(out, name)
    os.makedirs(os.path.join(folder, "ref"), exist_ok=True)
    corpus, queries = sample_texts()
    vocab, merges = learn_bpe([d["title"] + " " + d["text"] for d in corpus] + queries, 500)
    tj, ids = modernbert_tokenizer_json(vocab, merges)
    cfg = {
        "architectures": ["ModernBertForSequenceClassification"], "model_type": "modernbert", "vocab_size": len(ids) + 2,
        "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 4, "num_attention_heads": 4,
        "hidden_activation": "gelu", "max_position_embeddings": 8192, "initializer_range": 0.02, "initializer_cutoff_factor": 2.0,
        "norm_eps": 1e-05, "norm_bias": False, "pad_token_id": ids["[PAD]"], "eos_token_id": ids["[SEP]"], "bos_token_id": ids["[CLS]"],
        "cls_token_id": ids["[CLS]"], "sep_token_id": ids["[SEP]"], "global_rope_theta": 160000.0, "attention_bias": False,
        "attention_dropout": 0.0, "global_attn_every_n_layers": 3, "local_attention": 8, "local_rope_theta": 10000.0,
        "embedding_dropout": 0.0, "mlp_bias": False, "mlp_dropout": 0.0, "decoder_bias": True, "classifier_pooling": "mean",
        "classifier_dropout": 0.0, "classifier_bias": False, "classifier_activation": "gelu", "deterministic_flash_attn": False,
        "sparse_prediction": False, "sparse_pred_ignore_index": -100, "reference_compile": None, "num_labels": 1,
        "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0},
    }
    dump(os.path.join(folder, "config.json"), cfg)
    w = modernbert_weights(cfg, seed)
    write_safetensors(os.path.join(folder, "model.safetensors"), w)
    dump(os.path.join(folder, "tokenizer.json"), tj)
    dump(os.path.join(folder, "tokenizer_config.json"), {
        "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "mask_token": "[MASK]", "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": model_max_length, "pad_token": "[PAD]", "sep_token": "[SEP]", "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]"})
    dump(os.path.join(folder, "special_tokens_map.json"), {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"})
    dump(os.path.join(folder, "ref", "tokenizer.json"), tj)
    dump(os.path.join(folder, "ref", "settings.json"), {"max_length": model_max_length})
    torch.save(w, os.path.join(folder, "ref", "weights.pt"))


def write(out):
    os.makedirs(out, exist_ok=True)
    dump(os.path.join(out, "pairs.json"), pairs())
    write_bert(out, "bert-msmarco", True, None, True, 101, "msmarco")
    write_bert(out, "bert-cased", False, None, True, 102, "cased", model_max_length=96)
    write_bert(out, "bert-tokjson-sharded", False, True, False, 103, "tokjson-sharded", model_max_length=80)
    write_bert(out, "bert-nli-bin", True, None, True, 104, "bin-sharded", labels=["contradiction", "entailment", "neutral"])
    write_xlmr(out, "xlmr-bge", 201)
    write_electra(out, "electra-msmarco", 301)
    write_modernbert(out, "modernbert-gte", 401)
    deberta = os.path.join(out, "deberta-v2")
    os.makedirs(deberta, exist_ok=True)
    dump(os.path.join(deberta, "config.json"), {
        "architectures": ["DebertaV2ForSequenceClassification"], "model_type": "deberta-v2", "hidden_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "type_vocab_size": 0,
        "vocab_size": 128, "max_position_embeddings": 512, "relative_attention": True, "position_buckets": 256,
        "pos_att_type": ["p2c", "c2p"], "num_labels": 1})


def score(out):
    all_pairs = json.load(open(os.path.join(out, "pairs.json"), encoding="utf-8"))
    for name in sorted(os.listdir(out)):
        ref = os.path.join(out, name, "ref")
        if not os.path.isdir(ref):
            continue
        cfg = json.load(open(os.path.join(out, name, "config.json")))
        w = torch.load(os.path.join(ref, "weights.pt"))
        tokenized = json.load(open(os.path.join(ref, "ids.json"), encoding="utf-8"))
        assert len(tokenized["pairs"]) == len(all_pairs)
        rows = []
        for (q, d), enc in zip(all_pairs, tokenized["pairs"]):
            forward = {"xlm-roberta": roberta_logits, "electra": electra_logits, "modernbert": modernbert_logits}.get(cfg["model_type"], bert_logits)
            logits = forward(w, cfg, enc["input_ids"], enc["token_type_ids"])
            rows.append({"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"], "logits": logits})
        dump(os.path.join(out, name, "expected.json"), {
            "reference": "tests/reference/hf_models.py (PyTorch " + torch.__version__ + " forward, float64) on ids from Hugging Face tokenizers "
                         + tokenized["tokenizers"] + " (tests/reference/tokenize.mjs)",
            "cross_checks": tokenized.get("cross_checks", {}), "max_length": tokenized["max_length"], "pairs": rows})
        os.remove(os.path.join(ref, "weights.pt"))
        os.remove(os.path.join(ref, "ids.json"))
        os.remove(os.path.join(ref, "tokenizer.json"))
        os.remove(os.path.join(ref, "settings.json"))
        import shutil
        shutil.rmtree(ref)


if __name__ == "__main__":
    {"write": write, "score": score}[sys.argv[1]](sys.argv[2])
