#!/bin/bash
# The GPU stage of the shipped models (docs/training.md, 3a): LDSE-NET 20x and 40x with the side-magnitude head,
# side by side on one GPU, on patches rendered on the fly from the slides in $SLIDES (default ../shared/data/slides).
#   OUT=<folder> MIN=4.2 bash training/scripts/synth-gpu.sh
# EXTRA adds synth_train options to every run, e.g. EXTRA="--phase-rad 0.1 0.8" to draw more weak-phase samples,
# or EXTRA="--init <checkpoint>" (one setup at a time then: SETUPS=40x) to continue a run.
# MODELS picks the architectures (default ldse-net): MODELS="resnet50 botnet" SETUPS=20x trains the baselines on the
# same rendered stream, for the comparison of issue 5 (runs land in $OUT/synth-<model>-<setup>; LDSE-NET keeps
# $OUT/synth-<setup>). Every run of one call shares the GPU and the minutes.
set -u
export PYTHONUNBUFFERED=1
SLIDES=${SLIDES:-../shared/data/slides}
OUT=${OUT:?set OUT to a folder for the runs}
MIN=${MIN:-4.2}
HELD_OUT="HE_high_nuclei_score_level0 HE_medium_nuclei_score_level1 HE_tissue_level0_7352_11762_7864_12274"
common="--slides $SLIDES --exclude $HELD_OUT --minutes $MIN --val-every 100 --val-samples 4096"
common="$common --device ${DEV:-cuda} --batch-size ${BS:-256} --lr ${LR:-1e-3} --seed 0 ${EXTRA:-}"
mkdir -p "$OUT"
for model in ${MODELS:-ldse-net}; do
  for setup in ${SETUPS:-20x 40x}; do
    name="synth-$setup"
    [ "$model" != ldse-net ] && name="synth-$model-$setup"
    ${PY:-python3} -m training.synth_train $common --model "$model" --setup "$setup" --out "$OUT/$name" --json \
      > "$OUT/$name.json" 2> "$OUT/$name.log" &
  done
done
wait
tail -n 3 "$OUT"/synth-*.log
