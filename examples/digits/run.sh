#!/bin/sh
# Bring-your-own-data example on real data: scikit-learn's handwritten digits
# (1797 images of 8x8 pixels, grey levels 0-16, ten classes) imported, a
# smartwatch-lean model trained on them, quantized five ways, evaluated and
# debugged.
#
# Usage: examples/digits/run.sh [QUANTLAB] [WORKDIR]
#   QUANTLAB  the quantlab executable (default: build/quantlab)
#   WORKDIR   where the data, models and reports go (default: digits-run)
# Needs /usr/bin/python3 with numpy and Debian's python3-sklearn, which ships
# the digits as a header-less CSV.
set -eu

QUANTLAB=${1:-build/quantlab}
WORK=${2:-digits-run}
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
mkdir -p "$WORK"

# 1. A CSV with a header: pixel columns p0..p63, then the digit.
/usr/bin/python3 - "$DIGITS" "$WORK/digits.csv" <<'PY'
import gzip, sys
rows = gzip.open(sys.argv[1], 'rt').read().split()
header = ','.join(['p%d' % i for i in range(64)] + ['digit'])
open(sys.argv[2], 'w').write(header + '\n' + '\n'.join(rows) + '\n')
PY

# 2. Import: 8x8x1 images, 70/15/15 split stratified by digit, normalized with
#    the train split's mean and std (stored in every .npz).
"$QUANTLAB" data import "$WORK/digits.csv" --label-columns digit --shape 8,8,1 \
    --split 0.7,0.15,0.15 --seed 1 --normalize -o "$WORK/data"

# 3. Train. The 8x8 input is too small for the family's last pooling stage;
#    the architecture adapts and says so ("adapted: ...").
"$QUANTLAB" train --arch smartwatch-lean --scale 6 --lr 0.005 --epochs 40 --patience 0 \
    --seed 1 --threads 1 --data "$WORK/data" -o "$WORK/digits.tflite"

# 4. Quantize five ways, calibrating on the (normalized) train images.
/usr/bin/python3 -c "import numpy as np, sys; np.save(sys.argv[2], np.load(sys.argv[1])['x'])" \
    "$WORK/data/train.npz" "$WORK/calib.npy"
"$QUANTLAB" quantize "$WORK/digits.tflite" --calib "$WORK/calib.npy" -o "$WORK/quantized"

# 5. One table: every scheme against the float model on the test split.
"$QUANTLAB" eval "$WORK"/quantized/digits.*.tflite --data "$WORK/data/test.npz" --baseline float

# 6. Per-layer quantization error of the int8 model.
"$QUANTLAB" debug "$WORK/digits.tflite" "$WORK/quantized/digits.fiq-int8.tflite" \
    --data "$WORK/data/test.npz" -o "$WORK/debug"
