#!/usr/bin/env bash
# Corpus, tokenizer and token ids for the bundled model, from Debian packages only:
#   fortunes, fortunes-min  -> the text (prepare_corpus.py)
#   sentencepiece           -> spm_train (the vocabulary) and spm_encode (the ids)
# Usage: examples/train/make_data.sh OUT_DIR   (writes *.txt, tokenizer.model, *.ids)
# Each line of a .ids file is one fortune: bos, its pieces, eos (ids 1 and 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make_data.sh OUT_DIR}
vocab=${TERN_VOCAB:-3000}
mkdir -p "$out"
/usr/bin/python3 "$here/prepare_corpus.py" "$out"
# unk 0, bos 1, eos 2 as the real MMfreeLM tokenizer; no pad; byte fallback so no text is unknown.
spm_train --input="$out/train.txt" --model_prefix="$out/tokenizer" --vocab_size="$vocab" \
  --model_type=unigram --character_coverage=1.0 --byte_fallback=true --split_digits=true \
  --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --max_sentence_length=8192 \
  --input_sentence_size=0 --num_threads=2 >"$out/spm_train.log" 2>&1
for split in train valid heldout; do
  spm_encode --model="$out/tokenizer.model" --output_format=id --extra_options=bos:eos \
    <"$out/$split.txt" >"$out/$split.ids"
  echo "$split: $(wc -w <"$out/$split.ids") tokens"
done
