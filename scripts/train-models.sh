#!/usr/bin/env bash
# npm run models: trains and audits the models engram ships in models/ (the studio offers them under "Open a
# model"). Each is reproducible: same command, same seed, same weights. About 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
engram() { node dist/src/cli/main.js "$@"; }
mkdir -p models

# WordNet text: the demo's settings (3 layers, width 64, 1,500 steps).
engram train text --data wordnet --out models/wordnet-small.safetensors --force \
  --steps 1500 --batch-size 32 --block-size 64 --n-layer 3 --n-head 4 --n-embd 64 --dropout 0 \
  --learning-rate 5e-3 --min-learning-rate 5e-4 --warmup-steps 50 --eval-every 250 --eval-batches 4
engram audit models/wordnet-small.safetensors --out models/wordnet-small.audit

# MNIST digits at 16 px: the demo's image model.
engram train image --data mnist --image-size 16 --channels 16,32 --steps 4000 --eval-every 1000 --out models/digits-16px.safetensors --force
engram audit models/digits-16px.safetensors --guidance 3 --out models/digits-16px.audit

# A digit tagger at 16 px.
engram train tagger --data mnist --image-size 16 --channels 16,32 --steps 2000 --eval-every 500 --out models/digit-tagger.safetensors --force
engram audit models/digit-tagger.safetensors --out models/digit-tagger.audit

# Drop what only training needs (checkpoints, logs) and the audits' JSON (every per-example score, several MB;
# the same command writes it again): the weights files and the HTML reports stay, about 2 MB in all.
rm -f models/*.ckpt.safetensors models/*.log.jsonl models/*.audit/audit.json
ls -la models
