#!/usr/bin/env bash
# GPU smoke check of the three training stages: a few real optimizer steps of stage 1 (SFT), stage 2
# (pair GRPO) and stage 3 (group GRPO) on the tiny untrained Qwen2.5-VL of red_aes.testing, on the tiny
# RED dataset of training_recipes/tiny/build_tiny_red.py, twice: bf16 + LoRA, then 4-bit QLoRA (nf4,
# double quantization, bf16 compute). Each stage continues the previous stage's adapter; each output
# must load in RedAesScorer on the GPU (4-bit for the QLoRA chain) and answer in fast mode. Offline: no
# network is used. Prints one "PASS name" or "FAIL name" line per check; exit status 1 if any failed.
# Takes about 2-3 minutes on one H100 (mostly process start-up).
#
#   benchmarks/gpu_train_check.sh [WORK_DIR]          # needs trl, datasets, bitsandbytes, peft
#   DEVICE=cpu benchmarks/gpu_train_check.sh          # the same flow on CPU (a dry run of the script)
set -u
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
failures=0

check() {  # check NAME COMMAND...: run, print PASS/FAIL with the time taken, keep the log
    local name=$1 start=$SECONDS
    shift
    if "$@" >"$WORK/$name.log" 2>&1; then
        echo "PASS $name ($((SECONDS - start)) s)"
    else
        echo "FAIL $name ($((SECONDS - start)) s), last lines of $WORK/$name.log:"
        tail -n 8 "$WORK/$name.log" | sed 's/^/    /'
        failures=$((failures + 1))
    fi
}

check imports "$PY" -c "import trl, peft, datasets, bitsandbytes, transformers, red_aes.train.grpo; \
print(trl.__version__, peft.__version__, datasets.__version__, bitsandbytes.__version__, transformers.__version__)"
if [ "$DEVICE" = cuda ]; then
    check cuda "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))"
    DEVICE_ARGS=(--use_cpu false --bf16 true)
else
    DEVICE_ARGS=(--use_cpu true --bf16 false)
fi
check setup "$PY" -c "
import runpy, sys
from red_aes.testing import make_tiny_model
make_tiny_model('$WORK/tiny')
sys.argv = ['build_tiny_red.py', '$WORK/red']
runpy.run_path('training_recipes/tiny/build_tiny_red.py', run_name='__main__')
"

QLORA_ARGS=(--load_in_4bit true --bnb_4bit_quant_type nf4 --use_bnb_nested_quant true)
for variant in bf16 qlora; do
    extra=(--dtype bfloat16 "${DEVICE_ARGS[@]}")
    [ "$variant" = qlora ] && extra+=("${QLORA_ARGS[@]}")
    previous=""
    for stage in stage1_sft stage2_grpo_pair stage3_grpo_group; do
        out="$WORK/$variant-$stage"
        init=()
        [ -n "$previous" ] && init=(--init_adapter "$previous")
        check "$variant-$stage" "$PY" -m red_aes train run --config "training_recipes/tiny/$stage.yaml" -- \
            --model_name_or_path "$WORK/tiny" --dataset_name "$WORK/red" --output_dir "$out" \
            "${init[@]}" "${extra[@]}"
        previous=$out
    done
    quantization=None
    [ "$variant" = qlora ] && quantization="'4bit'"
    check "$variant-adapters-load" "$PY" -c "
from pathlib import Path
from safetensors.torch import load_file
from red_aes.scorer import RedAesScorer
photos = sorted(Path('examples/photos').glob('*.png'))[:2]
for stage in ('stage1_sft', 'stage2_grpo_pair', 'stage3_grpo_group'):
    scorer = RedAesScorer.from_pretrained('$WORK/$variant-' + stage, quantization=$quantization, device='$DEVICE')
    result = scorer.compare(photos[0], photos[1], 'brighten the photo', decoding='fast')
    assert result.answer_mass is not None, result.error  # valid only when the tiny run learnt the format
    print(stage, scorer.device, scorer.metadata['stage'], f'answer mass {result.answer_mass:.3g}', result.delta)
one = load_file('$WORK/$variant-stage1_sft/adapter_model.safetensors')
two = load_file('$WORK/$variant-stage2_grpo_pair/adapter_model.safetensors')
print('stage 2 changed the adapter:', any(not one[k].equal(two[k]) for k in one))
"
    grep -h "changed the adapter" "$WORK/$variant-adapters-load.log" 2>/dev/null | sed "s/^/    $variant: /"
done

echo "gpu_train_check: $failures failed check(s); logs in $WORK"
[ "$failures" -eq 0 ]
