"""Score our saved cross-encoder folder with PyTorch and compare with SearchRerank's scores.

Usage: python3 check_scores.py MODEL_DIR PAIRS_JSONL OUT_DIR
PAIRS_JSONL comes from `search-host score --reranker MODEL_DIR --pairs FILE --format jsonl`
(our score, input ids and token types per pair).

Three independent checks, each run when its libraries are present:
  1. a functional BERT written here against the raw safetensors file (needs only torch),
     fed our token ids: checks the weights, config and forward pass;
  2. Hugging Face transformers (AutoTokenizer + AutoModelForSequenceClassification),
     with its own tokenizer: checks the folder layout and the tokenizer too;
  3. sentence_transformers.CrossEncoder(MODEL_DIR).predict: the interoperability promise.
Then GPU throughput of check 1's model (and of transformers when present) at length 256.
"""
import json, math, os, struct, sys, time

import torch


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
        out[name] = t.float()
    return out


def gelu(x, kind):
    if kind == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def forward(w, cfg, ids, types, mask):
    """BertForSequenceClassification, written out: logits [B, num_labels]."""
    p = "bert."
    eps = cfg.get("layer_norm_eps", 1e-12)
    heads = cfg["num_attention_heads"]
    hidden = cfg["hidden_size"]
    d = hidden // heads
    ln = lambda x, name: torch.nn.functional.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], eps)
    lin = lambda x, name: x @ w[name + ".weight"].T + w[name + ".bias"]
    b, L = ids.shape
    pos = torch.arange(L, device=ids.device)
    x = w[p + "embeddings.word_embeddings.weight"][ids] + w[p + "embeddings.position_embeddings.weight"][pos] \
        + w[p + "embeddings.token_type_embeddings.weight"][types]
    x = ln(x, p + "embeddings.LayerNorm")
    bias = ((1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min).to(x.dtype)
    for i in range(cfg["num_hidden_layers"]):
        q = f"{p}encoder.layer.{i}."
        split = lambda t: t.view(b, L, heads, d).transpose(1, 2)
        qh, kh, vh = (split(lin(x, q + "attention.self." + n)) for n in ("query", "key", "value"))
        att = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        ctx = (att @ vh).transpose(1, 2).reshape(b, L, hidden)
        x = ln(lin(ctx, q + "attention.output.dense") + x, q + "attention.output.LayerNorm")
        inter = gelu(lin(x, q + "intermediate.dense"), cfg.get("hidden_act", "gelu"))
        x = ln(lin(inter, q + "output.dense") + x, q + "output.LayerNorm")
    pooled = torch.tanh(lin(x[:, 0], p + "pooler.dense"))
    return lin(pooled, "classifier")


def activation(cfg):
    name = (cfg.get("sentence_transformers", {}) or {}).get("activation_fn") or cfg.get("sbert_ce_default_activation_function") or ""
    return torch.sigmoid if ("Sigmoid" in name or (not name and len(cfg.get("id2label", {"0": 0})) == 1)) else (lambda t: t)


def main():
    model_dir, pairs_path, out_dir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    report = {"torch": torch.__version__, "cuda": torch.cuda.is_available()}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        report["gpu"] = torch.cuda.get_device_name(0)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    weights = {k: v.to(device) for k, v in load_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    act = activation(cfg)
    pairs = [json.loads(l) for l in open(pairs_path) if l.strip()]
    ours = torch.tensor([p["score"] for p in pairs], dtype=torch.float64)

    # 1. Functional BERT on our ids, one pair at a time (no padding involved).
    with torch.no_grad():
        mine = []
        for p in pairs:
            ids = torch.tensor([p["input_ids"]], device=device)
            types = torch.tensor([p["token_type_ids"]], device=device)
            mine.append(act(forward(weights, cfg, ids, types, torch.ones_like(ids)))[0, 0].item())
    mine = torch.tensor(mine, dtype=torch.float64)
    report["functional_vs_ours_max_abs"] = (mine - ours).abs().max().item()

    # 2. Hugging Face transformers with its own tokenizer.
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        tok = AutoTokenizer.from_pretrained(model_dir)
        hf = AutoModelForSequenceClassification.from_pretrained(model_dir).to(device).eval()
        max_len = max(len(p["input_ids"]) for p in pairs)
        # No max_length: the tokenizer's model_max_length, as CrossEncoder uses it (our `score` without --max-length agrees).
        enc = tok([p["query"] for p in pairs], [p["document"] for p in pairs], truncation=True, padding=True, return_tensors="pt").to(device)
        same_ids = sum(1 for i, p in enumerate(pairs) if enc["input_ids"][i][enc["attention_mask"][i].bool()].tolist() == p["input_ids"])
        with torch.no_grad():
            hf_scores = act(hf(**enc).logits[:, 0]).double().cpu()
        report["transformers"] = {
            "version": __import__("transformers").__version__,
            "tokenizer_class": type(tok).__name__,
            "pairs_with_identical_ids": f"{same_ids}/{len(pairs)}",
            "max_abs_vs_ours": (hf_scores - ours).abs().max().item(),
            "note": f"our ids were truncated at the model's max length; longest pair {max_len} tokens",
        }
    except Exception as e:  # noqa: BLE001 - record why the check did not run
        report["transformers"] = f"not run: {type(e).__name__}: {e}"

    # 3. sentence-transformers CrossEncoder.
    try:
        from sentence_transformers import CrossEncoder
        ce = CrossEncoder(model_dir, device=device)
        st = torch.tensor(ce.predict([(p["query"], p["document"]) for p in pairs]), dtype=torch.float64)
        report["sentence_transformers"] = {"version": __import__("sentence_transformers").__version__, "max_abs_vs_ours": (st - ours).abs().max().item()}
    except Exception as e:  # noqa: BLE001
        report["sentence_transformers"] = f"not run: {type(e).__name__}: {e}"

    # Throughput at length 256, batch 64, random ids (the functional model, fp32 and fp16).
    if device == "cuda":
        ids = torch.randint(1000, 20000, (64, 256), device=device)
        types = torch.zeros_like(ids)
        mask = torch.ones_like(ids)
        for dtype in (torch.float32, torch.float16):
            w = {k: v.to(dtype) for k, v in weights.items()}
            with torch.no_grad():
                for _ in range(3):
                    forward(w, cfg, ids, types, mask)
                torch.cuda.synchronize()
                start, n = time.perf_counter(), 20
                for _ in range(n):
                    forward(w, cfg, ids, types, mask)
                torch.cuda.synchronize()
            report[f"functional_{str(dtype).split('.')[-1]}_pairs_per_s_L256_B64"] = round(64 * n / (time.perf_counter() - start), 1)

    json.dump(report, open(os.path.join(out_dir, "report.json"), "w"), indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
