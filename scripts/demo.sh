#!/usr/bin/env bash
# The README's main command: installs, builds, then compiles a model with ternc
# and runs it with tern-run (logits, greedy generation, perplexity).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" "$root/build"
bin=$root/build/bin
work=${TERN_DEMO_DIR:-$root/build/demo}
mkdir -p "$work"
model=$work/model
# The bundled trained model arrives with issue 8; until then a seeded random
# checkpoint of the real layout stands in for it.
if [ -f "$root/examples/models/default/config.json" ]; then
  model=$root/examples/models/default
elif [ ! -f "$model/config.json" ]; then
  /usr/bin/python3 "$root/examples/reference/make_random_checkpoint.py" "$model" \
    --hidden-size 256 --layers 4 --vocab 1000 --seed 7
fi
echo "== ternc $model -o $work/model.tern"
"$bin/ternc" "$model" -o "$work/model.tern"
echo "== tern-run: greedy continuation of 1,42,7"
"$bin/tern-run" "$work/model.tern" --tokens 1,42,7 --max-new-tokens 16
echo "== tern-run: logits of 1,42,7"
"$bin/tern-run" "$work/model.tern" --tokens 1,42,7 --logits-out "$work/logits.npy"
echo "== tern-run: perplexity"
seq 1 3 300 > "$work/ids.txt"
"$bin/tern-run" "$work/model.tern" --ppl "$work/ids.txt"
