#!/bin/bash
# The GPU stage of the shipped models (docs/training.md, 3a): LDSE-NET 20x and 40x with the side-magnitude head,
# side by side on one GPU, on patches rendered on the fly from the slides in $SLIDES (default ../shared/data/slides).
#   OUT=<folder> MIN=4.2 bash training/scripts/synth-gpu.sh
set -u
export PYTHONUNBUFFERED=1
SLIDES=${SLIDES:-../shared/data/slides}
OUT=${OUT:?set OUT to a folder for the two runs}
MIN=${MIN:-4.2}
HELD_OUT="HE_high_nuclei_score_level0 HE_medium_nuclei_score_level1 HE_tissue_level0_7352_11762_7864_12274"
common="--slides $SLIDES --exclude $HELD_OUT --model ldse-net --minutes $MIN --val-every 100 --val-samples 4096"
common="$common --device ${DEV:-cuda} --batch-size ${BS:-256} --lr 1e-3 --seed 0"
mkdir -p "$OUT"
${PY:-python3} -m training.synth_train $common --setup 20x --out "$OUT/synth-20x" --json \
  > "$OUT/synth-20x.json" 2> "$OUT/synth-20x.log" &
${PY:-python3} -m training.synth_train $common --setup 40x --out "$OUT/synth-40x" --json \
  > "$OUT/synth-40x.json" 2> "$OUT/synth-40x.log" &
wait
tail -n 3 "$OUT"/synth-*.log
