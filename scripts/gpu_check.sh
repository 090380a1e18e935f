#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (the `device` tool when a task is lent one):
# builds with scripts/cuda_build.sh for the GPU's compute capability, then checks and measures
# the chat model and the embedder on it, printing one report. Meant to finish within 8 minutes
# once the CUDA build is cached in target/cuda. With no GPU it says so and exits 1.
#
#   scripts/gpu_check.sh [--skip-build]
#
# Checks, each printed PASS or FAIL (the exit status is the number of failures):
# - greedy generation gives the same text on CUDA as on the CPU (SmolLM2-135M, 48 tokens);
# - a reply constrained to a JSON schema is valid JSON on CUDA;
# - the demo catalog embeds on the GPU (candle runtime) and search quality (NDCG@10 from
#   `eval search`) stays within 0.005 of the CPU index.
# Measures: `bench llm --device cuda`, `bench chat --device cuda --writer model` and the
# embedding time of the demo catalog.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
skip_build=0
[ "${1:-}" = "--skip-build" ] && skip_build=1

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "gpu_check.sh: no NVIDIA GPU here (nvidia-smi finds none); nothing to check" >&2
  exit 1
fi
nvidia-smi -L
cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
case "$cap" in 80|89|90) ;; *) echo "compute capability $cap: building for 90"; cap=90 ;; esac

out="$root/target/gpu-check"
mkdir -p "$out"
failures=0
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }

if [ "$skip_build" = 0 ]; then
  scripts/cuda_build.sh --compute-cap "$cap" || { echo "FAIL  the CUDA build"; exit 1; }
fi
bin="$root/target/cuda/release/shopclerk"
site="$(target/cuda-venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
for dir in $(find "$site/nvidia" -type d -name lib); do LD_LIBRARY_PATH="$dir:${LD_LIBRARY_PATH:-}"; done
export LD_LIBRARY_PATH
"$bin" models fetch -q || { echo "FAIL  fetching the models"; exit 1; }

prompt="Name three things a shop assistant should never do."
for device in cpu cuda; do
  "$bin" generate -q --device "$device" --temperature 0 --max-tokens 48 \
    --prompt "$prompt" > "$out/greedy-$device.txt" 2> "$out/greedy-$device.err"
done
if cmp -s "$out/greedy-cpu.txt" "$out/greedy-cuda.txt"; then
  pass "greedy text on CUDA equals the CPU's"
else
  fail "greedy text differs (target/gpu-check/greedy-{cpu,cuda}.txt)"
  diff "$out/greedy-cpu.txt" "$out/greedy-cuda.txt" | head -5
fi

schema='{"type":"object","properties":{"intent":{"type":"string","enum":["search","other"]},"budget":{"type":"integer","minimum":0,"maximum":100000}},"required":["intent","budget"]}'
if "$bin" generate -q --device cuda --temperature 0 --max-tokens 40 --json-schema "$schema" \
  --prompt "I need earbuds under 2000. Answer as JSON." > "$out/json.txt" \
  && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/json.txt"; then
  pass "schema-constrained reply is valid JSON on CUDA: $(cat "$out/json.txt")"
else
  fail "schema-constrained reply on CUDA ($out/json.txt)"
fi

echo "== bench llm --device cuda"
"$bin" bench llm -q --device cuda || fail "bench llm on CUDA"
echo "== bench chat --device cuda --writer model"
"$bin" index -q --catalog data/demo_catalog.jsonl --out "$out/index-cpu" --device cpu \
  || fail "indexing the demo on the CPU"
"$bin" bench chat -q --device cuda --writer model --index "$out/index-cpu" || fail "bench chat on CUDA"

echo "== the demo catalog embedded on the GPU"
start=$(date +%s)
"$bin" index -q --catalog data/demo_catalog.jsonl --out "$out/index-gpu" --device cuda \
  --embedder-runtime candle || fail "indexing the demo on the GPU"
echo "embedded and indexed in $(( $(date +%s) - start )) s"
# NDCG@10 of the default fusion (weighted:0.3), second column of `eval search`.
ndcg() { "$bin" eval search -q --index "$1" --device cpu 2>/dev/null | awk '$1 == "weighted:0.3" { print $2 }'; }
cpu_ndcg="$(ndcg "$out/index-cpu")"
gpu_ndcg="$(ndcg "$out/index-gpu")"
echo "NDCG@10 (weighted:0.3): CPU index $cpu_ndcg, GPU index $gpu_ndcg"
if python3 -c 'import sys; a, b = map(float, sys.argv[1:]); sys.exit(not abs(a - b) <= 0.005)' \
  "${cpu_ndcg:-nan}" "${gpu_ndcg:-nan}" 2>/dev/null; then
  pass "search over GPU embeddings within 0.005 NDCG@10 of CPU embeddings"
else
  fail "search over GPU embeddings: NDCG@10 $gpu_ndcg vs $cpu_ndcg on the CPU"
fi

echo "gpu_check: $failures failure(s)"
exit "$failures"
