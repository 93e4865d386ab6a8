#!/bin/bash
# One GPU session's training (docs/training.md 3f), all runs side by side on one GPU for the same minutes:
#  - the shipped LDSE-NETs continued on rendered patches through the camera's pipeline (Bayer demosaic + JPEG; the
#    monochrome model on monochrome patches), starting from checkpoints recovered from their ONNX files
#    (training.from_onnx), since the PyTorch checkpoints do not travel between machines;
#  - issue 5's baseline comparison: LDSE-NET, ResNet50 and BotNet from scratch on the same rendered stream (the GPU
#    stage's options of 3a), same minutes, same GPU;
# then every run, and the shipped models, scored on the same rendered held-out patches (training.rendered_eval).
#   CKPT=<folder with ldse-net-20x.pt ldse-net-40x.pt ldse-net-20x-mono.pt> OUT=<folder> MIN=6.5 \
#     [JOBS="cont-20x cont-40x cont-20x-mono"] bash training/scripts/gpu-continue.sh
# JOBS picks the runs: cont-20x cont-40x cont-20x-mono (the default), scratch-ldse-net-20x scratch-resnet50-20x
# scratch-botnet-20x, and LDSE-NET from scratch through the camera's pipeline: camera-20x (colour, --augment camera)
# and camera-20x-mono (every patch monochrome); the shipped models continued through other labs' cameras as well
# (exposure, lamp colour, tone curve: --augment camera+response, docs/training.md 3k): response-20x, response-40x.
# Each run renders its batches on the GPU and holds 25-31 GiB there at
# batch 256: an H200 (139 GiB) takes four at once, not six (2026-11-26: six ran out of memory), an H100 (78 GiB) two.
# (2026-11-27, four runs with ResNet50 among them: 107 GiB.) The camera's JPEG runs through PIL on the CPU: four runs
# sharing 16 cores drew 373 patches/s each through the camera, against 1 443/s for a lossless LDSE-NET run beside one
# other (docs/training.md 3j).
# SCORE_S caps the scoring, so that results.tgz is written inside the call's limit.
# OUT ends up holding results.tgz (the LDSE-NET runs' checkpoints, every run's history, logs and summaries, and the
# scores) and log.txt. The baselines' checkpoints (75-95 MB) are too big to come back whole: BRING_BACK (default
# scratch-resnet50-20x) names the one whose weights come back in float16 (training.half), split into 15 MiB parts
# $OUT/<job>.pt.partNN (four for ResNet50); the machine returns 8 files of 16 MiB, 64 MiB in all, so one baseline
# per call. Join them with `cat <job>.pt.part* > best.pt`; training.export and `focus-station evaluate` take it.
set -u
export PYTHONUNBUFFERED=1
# Four processes share the GPU: expandable segments return what one frees to the others.
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
SLIDES=${SLIDES:-../shared/data/slides}
OUT=${OUT:?set OUT to a folder for the results}
CKPT=${CKPT:?set CKPT to the folder of recovered checkpoints}
RUNS=${RUNS:-/tmp/gpu-runs}
MIN=${MIN:-6.5}
PY=${PY:-python3}
DEV=${DEV:-cuda}
HELD_OUT="HE_high_nuclei_score_level0 HE_medium_nuclei_score_level1 HE_tissue_level0_7352_11762_7864_12274"
base="--slides $SLIDES --exclude $HELD_OUT --minutes $MIN --val-every ${VAL_EVERY:-100}"
base="$base --val-samples ${VAL_SAMPLES:-4096} --device $DEV --batch-size ${BS:-256} --seed 0"
cont="$base --lr ${LR_CONT:-3e-4} --phase-rad 0.1 0.8"
mkdir -p "$OUT" "$RUNS"

run() {
  local name=$1
  shift
  $PY -m training.synth_train "$@" --out "$RUNS/$name" --json >"$RUNS/$name.json" 2>"$RUNS/$name.log" &
}
for job in ${JOBS:-cont-20x cont-40x cont-20x-mono}; do
  case $job in
  cont-20x) run $job $cont --setup 20x --init "$CKPT/ldse-net-20x.pt" --augment camera ;;
  cont-40x) run $job $cont --setup 40x --init "$CKPT/ldse-net-40x.pt" --augment camera ;;
  cont-20x-mono) run $job $cont --setup 20x --init "$CKPT/ldse-net-20x-mono.pt" --augment camera+grey --greyscale-p 1.0 ;;
  response-20x) run $job $cont --setup 20x --init "$CKPT/ldse-net-20x.pt" --augment camera+response ;;
  response-40x) run $job $cont --setup 40x --init "$CKPT/ldse-net-40x.pt" --augment camera+response ;;
  camera-20x) run $job $base --lr 1e-3 --setup 20x --augment camera ;;
  camera-20x-mono) run $job $base --lr 1e-3 --setup 20x --augment camera+grey --greyscale-p 1.0 ;;
  scratch-*-20x)
    model=${job#scratch-}
    run "$job" $base --lr 1e-3 --setup 20x --model "${model%-20x}"
    ;;
  *) echo "unknown job $job" >&2 ;;
  esac
done
wait
date
tail -n 2 "$RUNS"/*.log

pack() { (cd "$RUNS" && tar czf "$OUT/results.tgz" --exclude='scratch-resnet50-20x/*.pt' --exclude='scratch-botnet-20x/*.pt' .); }
pack # the runs come back even if the scoring outlasts the call
for job in ${BRING_BACK-scratch-resnet50-20x}; do
  [ -f "$RUNS/$job/best.pt" ] || continue
  $PY -m training.half --checkpoint "$RUNS/$job/best.pt" --out "$RUNS/$job/best-fp16.pt" &&
    split -b 15M -d "$RUNS/$job/best-fp16.pt" "$OUT/$job.pt.part"
done

score="timeout ${SCORE_S:-600} $PY -m training.rendered_eval --slides $SLIDES --only $HELD_OUT --n ${EVAL_N:-2048}"
score="$score --phase-rad 0.1 0.6 --device $DEV --threads 4 --json"
found() { ls "$@" 2>/dev/null; } # the runs this call made
responses=("LED 6500 K, no WB" "linear (no sRGB)" "exposure x0.25" "contrast stretched")
$score --setup 20x --condition "as is" "Bayer + JPEG q85" "JPEG q75" "${responses[@]}" \
  --checkpoint "$CKPT/ldse-net-20x.pt" \
  $(found "$RUNS"/{cont-20x,camera-20x,response-20x}/{best,last}.pt "$RUNS"/scratch-*-20x/best.pt) \
  >"$RUNS/score-20x.json" 2>"$RUNS/score-20x.log" &
$score --setup 40x --condition "as is" "Bayer + JPEG q85" "${responses[@]}" --checkpoint "$CKPT/ldse-net-40x.pt" \
  $(found "$RUNS"/{cont-40x,response-40x}/{best,last}.pt) >"$RUNS/score-40x.json" 2>"$RUNS/score-40x.log" &
$score --setup 20x --condition monochrome --checkpoint "$CKPT/ldse-net-20x.pt" "$CKPT/ldse-net-20x-mono.pt" \
  $(found "$RUNS"/{cont-20x-mono,camera-20x-mono}/{best,last}.pt) >"$RUNS/score-mono.json" 2>"$RUNS/score-mono.log" &
wait
date
pack
ls -l "$OUT"
