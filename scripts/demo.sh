#!/usr/bin/env bash
# The README's main command: installs, builds, then compiles the bundled trained model
# (examples/models/default, docs/model.md) with ternc and has tern-run write text with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" "$root/build"
bin=$root/build/bin
work=${TERN_DEMO_DIR:-$root/build/demo}
mkdir -p "$work"
model=$root/examples/models/default
if [ ! -f "$model/config.json" ]; then
  # Without the bundled model (a trimmed checkout), a seeded random checkpoint of the real layout
  # stands in: it has no tokenizer, so it runs on token ids.
  model=$work/model
  [ -f "$model/config.json" ] || /usr/bin/python3 "$root/examples/reference/make_random_checkpoint.py" \
    "$model" --hidden-size 256 --layers 4 --vocab 1000 --seed 7
  "$bin/ternc" "$model" -o "$work/model.tern"
  echo "== tern-run: greedy continuation of 1,42,7"
  "$bin/tern-run" "$work/model.tern" --tokens 1,42,7 --max-new-tokens 16
  exit 0
fi
echo "== ternc $model -o $work/model.tern"
"$bin/ternc" "$model" -o "$work/model.tern"
for prompt in "Life is" "A programmer" "The"; do
  echo "== tern-run $work/model.tern -p \"$prompt\" --seed 1"
  "$bin/tern-run" "$work/model.tern" -p "$prompt" --seed 1
done
echo "== tern-run: perplexity on the first 1024 held-out tokens (PyTorch: see docs/model.md)"
"$bin/tern-run" "$work/model.tern" --ppl "$model/heldout-prefix.ids"
