#!/bin/sh
# One shard of a `skelex analyze` run: the container command of the Kubernetes Indexed Job in
# docs/kubernetes/analyze-job.yaml, where Kubernetes sets JOB_COMPLETION_INDEX (0..N-1).
# A retried pod resumes its shard: finished images are kept, none is analysed twice.
#   SKELEX_INPUT    folder of radiographs (read only)
#   SKELEX_MODEL    model bundle folder
#   SKELEX_RESULTS  shared folder; this shard writes SKELEX_RESULTS/shard-K
#   SHARDS          N, the Job's completions
set -u
: "${JOB_COMPLETION_INDEX:?set by Kubernetes for an Indexed Job}"
out="$SKELEX_RESULTS/shard-$JOB_COMPLETION_INDEX"
node "$(dirname "$0")/skelex.js" analyze "$SKELEX_INPUT" --model "$SKELEX_MODEL" --out "$out" \
  --shard "$JOB_COMPLETION_INDEX/$SHARDS" --resume
code=$?
# Exit 1 with summary.csv written: the shard is done and some files could not be analysed
# (each has its reason in summary.csv). Retrying would not change that, so the pod succeeds.
if [ "$code" -eq 1 ] && [ -f "$out/summary.csv" ]; then code=0; fi
exit "$code"
