#!/bin/bash
# The GPU stage of the shipped models (docs/training.md, 3a): LDSE-NET 20x and 40x with the side-magnitude head,
# side by side on one GPU, on patches rendered on the fly from the slides in $SLIDES (default ../shared/data/slides).
#   OUT=<folder> MIN=4.2 bash training/scripts/synth-gpu.sh
# EXTRA adds synth_train options to both runs, e.g. EXTRA="--phase-rad 0.1 0.8" to draw more weak-phase samples,
# or EXTRA="--init <checkpoint>" (one setup at a time then: SETUPS=40x) to continue a run.
set -u
export PYTHONUNBUFFERED=1
SLIDES=${SLIDES:-../shared/data/slides}
OUT=${OUT:?set OUT to a folder for the two runs}
MIN=${MIN:-4.2}
HELD_OUT="HE_high_nuclei_score_level0 HE_medium_nuclei_score_level1 HE_tissue_level0_7352_11762_7864_12274"
common="--slides $SLIDES --exclude $HELD_OUT --model ldse-net --minutes $MIN --val-every 100 --val-samples 4096"
common="$common --device ${DEV:-cuda} --batch-size ${BS:-256} --lr ${LR:-1e-3} --seed 0 ${EXTRA:-}"
mkdir -p "$OUT"
for setup in ${SETUPS:-20x 40x}; do
  ${PY:-python3} -m training.synth_train $common --setup "$setup" --out "$OUT/synth-$setup" --json \
    > "$OUT/synth-$setup.json" 2> "$OUT/synth-$setup.log" &
done
wait
tail -n 3 "$OUT"/synth-*.log
