#!/usr/bin/env bash
# Compares shopclerk's candle engine with llama.cpp on the same GGUF file, prompt, thread count
# and greedy settings; prints both engines' prompt and generation tokens/s and their ratio.
#
#   benches/compare_llamacpp.sh [--model FILE.gguf] [--prompt-tokens 300] [--gen-tokens 128] [--threads N]
#
# The first run creates a venv in target/llamacpp-venv and builds llama-cpp-python from PyPI
# (it compiles llama.cpp: about 9 minutes on 2 cores). Not part of CI. Run nothing else meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

model=""
prompt_tokens=300
gen_tokens=128
threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --prompt-tokens) prompt_tokens="$2"; shift 2 ;;
    --gen-tokens) gen_tokens="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet
bin=target/release/shopclerk
if [ -z "$model" ]; then
  # Fetches (and converts) the default model on first use; prints its path.
  model=$($bin models fetch --quiet | sed -n 's/^chat model: //p')
fi
[ -f "$model" ] || { echo "no such model file: $model" >&2; exit 1; }

venv=target/llamacpp-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python (compiles llama.cpp; about 9 minutes on 2 cores)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install --quiet llama-cpp-python numpy
fi

echo "model:   $model"
echo "threads: $threads; prompt $prompt_tokens tokens; generation $gen_tokens tokens; greedy"

ours=$(RAYON_NUM_THREADS=$threads $bin --model "$model" --device cpu bench llm \
  --prompt-tokens "$prompt_tokens" --gen-tokens "$gen_tokens" --runs 3)
echo "$ours" | sed 's/^/candle    | /'
our_pp=$(echo "$ours" | sed -n 's/^prompt: .*= \([0-9.]*\) tokens\/s.*/\1/p')
our_tg=$(echo "$ours" | sed -n 's/^generation: .*= \([0-9.]*\) tokens\/s.*/\1/p')

theirs=$("$venv/bin/python" - "$model" "$prompt_tokens" "$gen_tokens" "$threads" <<'PY'
import sys, time
import numpy as np
from llama_cpp import Llama

path, n_prompt, n_gen, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# The same filler text as `shopclerk bench llm`, cut to the same number of tokens.
filler = ("The customer asked about a waterproof hiking backpack with a rain cover, two side "
          "pockets for bottles and a padded laptop sleeve, priced under 3,000 rupees, with good "
          "reviews for comfort on long treks. ")
llm = Llama(model_path=path, n_ctx=max(1024, n_prompt + n_gen + 16), n_threads=threads,
            n_threads_batch=threads, n_batch=512, verbose=False)
chunk = llm.tokenize(filler.encode(), add_bos=False, special=False)
tokens = (chunk * (n_prompt // len(chunk) + 1))[:n_prompt]
best = None
for _ in range(3):
    llm.reset()
    t = time.perf_counter()
    llm.eval(tokens)
    nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    pp = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(n_gen - 1):
        llm.eval([nxt])
        nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    tg = time.perf_counter() - t
    if best is None or pp + tg < best[0] + best[1]:
        best = (pp, tg)
pp, tg = best
print(f"prompt:     {n_prompt} tokens in {pp*1000:.0f} ms = {n_prompt/pp:.1f} tokens/s")
print(f"generation: {n_gen-1} tokens in {tg*1000:.0f} ms = {(n_gen-1)/tg:.1f} tokens/s")
PY
)
echo "$theirs" | sed 's/^/llama.cpp | /'
their_pp=$(echo "$theirs" | sed -n 's/^prompt: .*= \([0-9.]*\) tokens\/s.*/\1/p')
their_tg=$(echo "$theirs" | sed -n 's/^generation: .*= \([0-9.]*\) tokens\/s.*/\1/p')

python3 - "$our_pp" "$their_pp" "$our_tg" "$their_tg" <<'PY'
import sys
op, tp, og, tg = map(float, sys.argv[1:])
print(f"ratio candle/llama.cpp: prompt {op/tp:.2f}, generation {og/tg:.2f}")
PY
