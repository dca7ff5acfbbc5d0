#!/usr/bin/python3
"""Which int8 activation scheme keeps the default reranker's logits close to fp32 (issue 15 goal 1).

A numpy float64 forward of a Hugging Face BertForSequenceClassification (safetensors weights) with fake
quantization of the encoder linears, compared against the float forward on real SciFact (query, document) pairs.
Schemes (weights always int8 symmetric per output channel, scale = max|w|/127, as BertOnnxExporter):
  tensor      activations uint8 asymmetric per batch tensor (ONNX DynamicQuantizeLinear: today's int8 graph;
              min/max over the whole padded batch, padding rows included)
  token       activations int8 symmetric per token row (scale = max|x_row|/127)
  token-asym  activations uint8 asymmetric per token row
  +gamma      the LayerNorm gamma (and beta) of the LayerNorm feeding QKV and FFN-up folded into those linears'
              weights/bias, so the quantized activation is the normalized x-hat (Outlier Suppression's gamma
              migration); the residual keeps gamma*x-hat+beta
  -down       FFN down (input: GELU output) left in float
  none        activations float (weights-only quantization: the floor of any per-channel-weight scheme)
  smoothA     SmoothQuant with alpha A (0.5, 0.65, 0.8), per-channel activation maxima calibrated on these same pairs (an
              optimistic bound)
  gptq        weights int8 per output channel (the same scales) rounded by GPTQ (Frantar et al. 2023): each column's rounding
              error is compensated in the columns not yet rounded through the inverse Hessian X^T X of the layer's float inputs,
              calibrated on these same pairs (an optimistic bound)
  blockN      int8 per token and per block of N inputs; "wgroup" N: weights per block of N inputs (MatMulNBits form)
  kinds       which linears are quantized (qkv, ao = attention output, up, down)
Results and what they mean: docs/BENCHMARKS.md, "int8 accuracy" (issue 15 goal 1).
Usage: eval/speed/int8-schemes.py [MODEL_DIR] [SCIFACT_DIR] [QUERIES] [CANDIDATES] [SCHEME,SCHEME,...]
Prints per scheme: max and mean |logit diff| to float, identical top-10 orders, same top-1.
Needs python3-numpy (Debian; libopenblas0-pthread makes it ~50x faster); deterministic (seeded); ~1 min per scheme
with OpenBLAS on one core.
"""
import json
import math
import re
import struct
import sys
import unicodedata

import numpy as np

MODEL = sys.argv[1] if len(sys.argv) > 1 else "models/default-reranker"
SCIFACT = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/datasets/scifact"
NQ = int(sys.argv[3]) if len(sys.argv) > 3 else 20
NC = int(sys.argv[4]) if len(sys.argv) > 4 else 20
MAXLEN = 128
BATCH = 16


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F16": np.float16, "F32": np.float32, "BF16": None}[meta["dtype"]]
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(meta["shape"]).astype(np.float64)
    return out


# --- BERT uncased tokenizer (basic + WordPiece), enough for SciFact text ---
vocab = {}
with open(f"{MODEL}/vocab.txt", encoding="utf-8") as f:
    for i, line in enumerate(f):
        vocab[line.rstrip("\n")] = i


def basic_tokens(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    out = []
    for word in text.split():
        cur = ""
        for c in word:
            cat = unicodedata.category(c)
            if cat.startswith("P") or (33 <= ord(c) <= 47) or (58 <= ord(c) <= 64) or (91 <= ord(c) <= 96) or (123 <= ord(c) <= 126):
                if cur:
                    out.append(cur)
                out.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            out.append(cur)
    return out


def wordpiece(text):
    ids = []
    for tok in basic_tokens(text):
        start, pieces = 0, []
        while start < len(tok):
            end, piece = len(tok), None
            while start < end:
                sub = tok[start:end] if start == 0 else "##" + tok[start:end]
                if sub in vocab:
                    piece = vocab[sub]
                    break
                end -= 1
            if piece is None:
                pieces = [vocab["[UNK]"]]
                break
            pieces.append(piece)
            start = end
        ids.extend(pieces)
    return ids


def encode(q, d):
    a, b = wordpiece(q), wordpiece(d)
    while len(a) + len(b) > MAXLEN - 3:  # longest-first truncation
        if len(b) >= len(a):
            b.pop()
        else:
            a.pop()
    ids = [vocab["[CLS]"]] + a + [vocab["[SEP]"]] + b + [vocab["[SEP]"]]
    types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return ids, types


# --- pairs: for each of NQ seeded test queries, its top NC documents by a simple tf-idf overlap (near-ties like a real candidate list) ---
corpus = [json.loads(l) for l in open(f"{SCIFACT}/corpus.jsonl", encoding="utf-8")]
queries = {j["_id"]: j["text"] for j in map(json.loads, open(f"{SCIFACT}/queries.jsonl", encoding="utf-8"))}
test_ids = [l.split("\t")[0] for l in open(f"{SCIFACT}/qrels/test.tsv", encoding="utf-8").read().splitlines()[1:]]
test_ids = sorted(set(test_ids), key=int)
rng = np.random.default_rng(15)
chosen = [test_ids[i] for i in rng.choice(len(test_ids), NQ, replace=False)]
word = re.compile(r"[a-z0-9]+")
docs_terms = [set(word.findall((d.get("title", "") + " " + d["text"]).lower())) for d in corpus]
df = {}
for t in docs_terms:
    for w in t:
        df[w] = df.get(w, 0) + 1
pairs = []
for qid in chosen:
    qt = set(word.findall(queries[qid].lower()))
    scores = [sum(math.log(len(corpus) / df[w]) for w in qt & t) for t in docs_terms]
    top = np.argsort(scores)[::-1][:NC]
    for di in top:
        d = corpus[di]
        pairs.append((qid, encode(queries[qid], (d.get("title", "") + " " + d["text"]).strip())))

W = load_safetensors(f"{MODEL}/model.safetensors")
cfg = json.load(open(f"{MODEL}/config.json"))
H, NH, EPS = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]


def qw(w, group=None):  # torch Linear weight [out, in]: int8 symmetric per output channel (or per block of `group` inputs)
    if group:
        o, i = w.shape
        wg = w.reshape(o, i // group, group)
        s = np.abs(wg).max(axis=2, keepdims=True) / 127
        s[s == 0] = 1
        return (np.clip(np.round(wg / s), -127, 127) * s).reshape(o, i)
    s = np.abs(w).max(axis=1, keepdims=True) / 127
    s[s == 0] = 1
    return np.clip(np.round(w / s), -127, 127) * s


def qa(x, mode, valid):  # x [B, L, F]; valid [B, L] bool (padding rows)
    if mode == "none":  # weights-only quantization
        return x
    if mode == "tensor":  # DynamicQuantizeLinear over the whole tensor, padding included
        lo, hi = min(0.0, x.min()), max(0.0, x.max())
        s = (hi - lo) / 255 or 1.0
        zp = np.clip(np.round(-lo / s), 0, 255)
        return (np.clip(np.round(x / s) + zp, 0, 255) - zp) * s
    if mode.startswith("block"):  # int8 symmetric per token and per block of K (MatMulNBits accuracy_level 4 style)
        n = int(mode[5:])
        sh = x.shape
        xg = x.reshape(*sh[:-1], sh[-1] // n, n)
        s = np.abs(xg).max(axis=-1, keepdims=True) / 127
        s[s == 0] = 1
        return (np.clip(np.round(xg / s), -127, 127) * s).reshape(sh)
    if mode == "token":
        s = np.abs(x).max(axis=-1, keepdims=True) / 127
        s[s == 0] = 1
        return np.clip(np.round(x / s), -127, 127) * s
    if mode == "token-asym":
        lo, hi = np.minimum(0, x.min(-1, keepdims=True)), np.maximum(0, x.max(-1, keepdims=True))
        s = (hi - lo) / 255
        s[s == 0] = 1
        zp = np.clip(np.round(-lo / s), 0, 255)
        return (np.clip(np.round(x / s) + zp, 0, 255) - zp) * s
    raise ValueError(mode)


def layernorm_hat(x):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS)


def erf_arr(x):  # Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7 (the same function in the float reference and every scheme)
    t = 1 / (1 + 0.3275911 * np.abs(x))
    y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * np.exp(-x * x)
    return np.sign(x) * y


STATS = {}
HESS = {}
GPTQ_CACHE = {}


def gptq(w, h, damp=0.01):
    """int8 symmetric per-output-channel weights (the scales of qw) with GPTQ's error compensation (Frantar et al. 2023,
    Algorithm 1, one column at a time): each column's rounding error is spread over the not-yet-quantized columns through
    the inverse Hessian of the layer's inputs, H = X^T X (calibrated on these same pairs: an optimistic bound)."""
    key = (id(w), w.shape, float(w.sum()))
    if key in GPTQ_CACHE:
        return GPTQ_CACHE[key]
    w = w.copy()
    scale = np.abs(w).max(axis=1) / 127
    scale[scale == 0] = 1
    h = h + damp * np.mean(np.diag(h)) * np.eye(h.shape[0])
    hinv = np.linalg.cholesky(np.linalg.inv(h)).T  # upper triangular
    q = np.zeros_like(w)
    for i in range(w.shape[1]):
        col = w[:, i]
        qc = np.clip(np.round(col / scale), -127, 127) * scale
        q[:, i] = qc
        err = (col - qc) / hinv[i, i]
        w[:, i + 1:] -= np.outer(err, hinv[i, i + 1:])
    GPTQ_CACHE[key] = q
    return q


def forward(ids, types, mask, scheme):
    act = scheme.get("act")  # None = float
    gamma = scheme.get("gamma", False)
    down = scheme.get("down", True)
    valid = mask.astype(bool)
    L = ids.shape[1]
    x = W["bert.embeddings.word_embeddings.weight"][ids] + W["bert.embeddings.token_type_embeddings.weight"][types] \
        + W["bert.embeddings.position_embeddings.weight"][:L][None]
    xhat = layernorm_hat(x)
    g, b = W["bert.embeddings.LayerNorm.weight"], W["bert.embeddings.LayerNorm.bias"]
    bias_mask = (1.0 - mask[:, None, None, :]) * -1e30

    kinds = scheme.get("kinds", {"qkv", "ao", "up", "down"})
    alpha = scheme.get("smooth")

    def linear(inp_hat, inp, g, b, wname, bname, foldable, quant=True):
        w, bias = W[wname], W[bname]
        kind = "qkv" if ".self." in wname else "ao" if "attention.output" in wname else "up" if "intermediate" in wname else "down"
        if act is None:
            m = np.abs(inp[valid]).max(axis=0)
            STATS[wname] = np.maximum(STATS.get(wname, 0), m)
            rows = inp[valid]
            HESS[wname] = HESS.get(wname, 0) + rows.T @ rows
        if act is None or not quant or kind not in kinds:
            return inp @ w.T + bias
        if alpha is not None:  # SmoothQuant: x/s and W*s per input channel, s = max|x|^a / max|W|^(1-a) (calibrated on these pairs: a bound)
            sm = STATS[wname] ** alpha / np.maximum(np.abs(w).max(axis=0), 1e-8) ** (1 - alpha)
            sm = np.maximum(sm, 1e-5)
            ws = w * sm[None, :]
            wq = gptq(ws, HESS[wname] / np.outer(sm, sm)) if scheme.get("gptq") else qw(ws)
            return qa(inp / sm, act, valid) @ wq.T + bias
        if gamma and foldable:  # W (g*xhat + b) + bias = (W diag g) xhat + (W b + bias)
            return qa(inp_hat, act, valid) @ qw(w * g[None, :]).T + (w @ b + bias)
        wq = gptq(w, HESS[wname]) if scheme.get("gptq") else qw(w, scheme.get("wgroup"))
        return qa(inp, act, valid) @ wq.T + bias

    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        hidden = xhat * g + b
        q = linear(xhat, hidden, g, b, p + "attention.self.query.weight", p + "attention.self.query.bias", True)
        k = linear(xhat, hidden, g, b, p + "attention.self.key.weight", p + "attention.self.key.bias", True)
        v = linear(xhat, hidden, g, b, p + "attention.self.value.weight", p + "attention.self.value.bias", True)
        B = ids.shape[0]
        dh = H // NH
        q, k, v = (t.reshape(B, L, NH, dh).transpose(0, 2, 1, 3) for t in (q, k, v))
        sc = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + bias_mask
        sc = np.exp(sc - sc.max(-1, keepdims=True))
        sc /= sc.sum(-1, keepdims=True)
        ctx = (sc @ v).transpose(0, 2, 1, 3).reshape(B, L, H)
        o = linear(None, ctx, None, None, p + "attention.output.dense.weight", p + "attention.output.dense.bias", False)
        ahat = layernorm_hat(o + hidden)
        ag, ab = W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"]
        a = ahat * ag + ab
        up = linear(ahat, a, ag, ab, p + "intermediate.dense.weight", p + "intermediate.dense.bias", True)
        up = 0.5 * up * (1 + erf_arr(up / math.sqrt(2)))
        dn = linear(None, up, None, None, p + "output.dense.weight", p + "output.dense.bias", False, quant=down)
        xhat = layernorm_hat(dn + a)
        g, b = W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"]
    hidden = xhat * g + b
    pooled = np.tanh(hidden[:, 0] @ W["bert.pooler.dense.weight"].T + W["bert.pooler.dense.bias"])
    return (pooled @ W["classifier.weight"].T + W["classifier.bias"])[:, 0]


def score_all(scheme):
    # length-sorted batches of BATCH, padded to the batch's longest (as the library batches)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][1][0]))
    out = np.zeros(len(pairs))
    for s in range(0, len(order), BATCH):
        idx = order[s:s + BATCH]
        L = max(len(pairs[i][1][0]) for i in idx)
        ids = np.zeros((len(idx), L), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(idx), L))
        for r, i in enumerate(idx):
            a, t = pairs[i][1]
            ids[r, :len(a)], types[r, :len(a)], mask[r, :len(a)] = a, t, 1
        out[idx] = forward(ids, types, mask, scheme)
    return out


schemes = [
    ("weights only", {"act": "none"}),
    ("tensor (today)", {"act": "tensor"}),
    ("weights only group32", {"act": "none", "wgroup": 32}),
    ("weights only group128", {"act": "none", "wgroup": 128}),
    ("block32 group32", {"act": "block32", "wgroup": 32}),
    ("block128 group128", {"act": "block128", "wgroup": 128}),
    ("token-asym group32", {"act": "token-asym", "wgroup": 32}),
    ("token-asym qkv only", {"act": "token-asym", "kinds": {"qkv"}}),
    ("token-asym ao only", {"act": "token-asym", "kinds": {"ao"}}),
    ("token-asym up only", {"act": "token-asym", "kinds": {"up"}}),
    ("token-asym down only", {"act": "token-asym", "kinds": {"down"}}),
    ("tensor smooth0.5", {"act": "tensor", "smooth": 0.5}),
    ("token-asym smooth0.5", {"act": "token-asym", "smooth": 0.5}),
    ("token smooth0.5", {"act": "token", "smooth": 0.5}),
    ("tensor +gamma", {"act": "tensor", "gamma": True}),
    ("weights only gptq", {"act": "none", "gptq": True}),
    ("tensor gptq", {"act": "tensor", "gptq": True}),
    ("tensor smooth0.65", {"act": "tensor", "smooth": 0.65}),
    ("tensor smooth0.8", {"act": "tensor", "smooth": 0.8}),
    ("tensor smooth0.5 gptq", {"act": "tensor", "smooth": 0.5, "gptq": True}),
    ("tensor smooth0.65 gptq", {"act": "tensor", "smooth": 0.65, "gptq": True}),
    ("tensor smooth0.8 gptq", {"act": "tensor", "smooth": 0.8, "gptq": True}),
    ("tensor -down", {"act": "tensor", "down": False}),
    ("token", {"act": "token"}),
    ("token-asym", {"act": "token-asym"}),
    ("token +gamma", {"act": "token", "gamma": True}),
    ("token-asym +gamma", {"act": "token-asym", "gamma": True}),
    ("token -down", {"act": "token", "down": False}),
    ("token +gamma -down", {"act": "token", "gamma": True, "down": False}),
]
only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else None

ref = score_all({})
print(f"{len(pairs)} pairs ({NQ} queries x {NC}), max length {MAXLEN}, batch {BATCH}; float logits range {ref.min():.2f}..{ref.max():.2f}")
print("| scheme | max abs logit diff | mean abs logit diff | identical top-10 order | same top-1 |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, scheme in schemes:
    if only and name not in only:
        continue
    s = score_all(scheme)
    d = np.abs(s - ref)
    same10 = same1 = 0
    for qi in range(NQ):
        r, t = ref[qi * NC:(qi + 1) * NC], s[qi * NC:(qi + 1) * NC]
        same10 += list(np.argsort(-r, kind="stable")[:10]) == list(np.argsort(-t, kind="stable")[:10])
        same1 += np.argmax(r) == np.argmax(t)
    print(f"| {name} | {d.max():.4f} | {d.mean():.4f} | {same10}/{NQ} | {same1}/{NQ} |", flush=True)
