#!/usr/bin/env bash
# Builds the seed corpora for the fuzz targets under DIR (outside the
# repository): DIR/tflite, DIR/npy, DIR/npz, DIR/csv and, given the CLI,
# DIR/study.
#   fuzz/make_seed_corpus.sh DIR [TESTDATA [QUANTLAB_CLI]]
# TESTDATA defaults to ../shared/testdata next to the repository. Models are
# copied from it (never committed); .npy/.npz/.csv seeds are generated with
# numpy so every dtype, header version and dataset member appears. The study
# seeds are the built-in configurations as `quantlab study config` prints
# them, plus small variants (one model, overrides, wrong types, unknown keys).
set -euo pipefail
out="${1:?usage: make_seed_corpus.sh DIR [TESTDATA]}"
here="$(cd "$(dirname "$0")" && pwd)"
testdata="${2:-$here/../../shared/testdata}"
mkdir -p "$out/tflite" "$out/npy" "$out/npz" "$out/csv"

# Models: the real ones and the per-op conformance cases. person_detect is
# kept too (libFuzzer truncates it to -max_len, which still seeds the verifier).
for f in "$testdata"/tflite/*.tflite "$testdata"/ops/tflite/*.tflite; do
  cp "$f" "$out/tflite/$(basename "$f")"
done
chmod u+w "$out"/tflite/*

# Golden arrays below 16 KiB: real files written by numpy.
mapfile -t goldens < <(find "$testdata/goldens" "$testdata/ops/goldens" -name '*.npy' -size -16k | sort)
for f in "${goldens[@]:0:200}"; do
  cp "$f" "$out/npy/$(echo "$f" | md5sum | cut -c1-12).npy"
done
chmod u+w "$out"/npy/*

/usr/bin/python3 - "$out" <<'PY'
import io, os, sys, zipfile
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)

def save_npy(name, array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array, allow_pickle=False)
    else:
        np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    open(os.path.join(out, "npy", name + ".npy"), "wb").write(buf.getvalue())

for dtype in ["<f2", "<f4", "<f8", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "|b1"]:
    save_npy("gen_" + dtype[1:], (rng.integers(0, 2, size=(2, 3)) if dtype == "|b1" else
                                  rng.normal(size=(2, 3)) * 5).astype(dtype))
save_npy("gen_scalar", np.float32(1.5))
save_npy("gen_empty", np.zeros((0, 4), np.float32))
save_npy("gen_v2", np.arange(6, dtype=np.int16).reshape(3, 2), version=(2, 0))
save_npy("gen_v3_text", np.array(["caf\u00e9", "x"]), version=(3, 0))
save_npy("gen_fortran", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save_npy("gen_big_endian", np.arange(4, dtype=">i4"))
save_npy("gen_unicode", np.array(["walk", "run", "sit"]))
save_npy("gen_bytes", np.array([b"ab", b"c"]))
save_npy("gen_4d", rng.normal(size=(1, 4, 3, 1)).astype(np.float32))

def save_npz(name, compressed=False, **arrays):
    path = os.path.join(out, "npz", name + ".npz")
    (np.savez_compressed if compressed else np.savez)(path, **arrays)

x = rng.normal(size=(6, 4, 3)).astype(np.float32)
y = np.array([0, 1, 2, 1, 0, 2], np.int64)
save_npz("classes", x=x, y=y)
save_npz("classes_compressed", compressed=True, x=x, y=y)
save_npz("named", x=x, y=y, label_names=np.array(["walk", "run", "sit"]))
save_npz("normalized", x=x, y=y, norm_mean=np.zeros(3, np.float32), norm_std=np.ones(3, np.float32))
save_npz("multi_hot", x=x.reshape(6, 12).astype(np.float64), y=rng.integers(0, 2, size=(6, 3)).astype(bool))
save_npz("int_features", x=rng.integers(-5, 5, size=(4, 2)).astype(np.int16), y=np.array([1, 0, 1, 0], np.uint8))
with zipfile.ZipFile(os.path.join(out, "npz", "with_directory.npz"), "w") as z:
    z.writestr("sub/", b"")
    buf = io.BytesIO(); np.save(buf, x); z.writestr("x.npy", buf.getvalue())
    buf = io.BytesIO(); np.save(buf, y); z.writestr("y.npy", buf.getvalue())

# CSV seeds: the first byte selects the reader options (see fuzz_csv.cc):
# bits 0-1 delimiter (, ; tab space), bits 2-3 label mode, bits 4-5 count.
csv = {
    "last_label": (0x00, "f1,f2,label\n1,2,0\n3.5,-4,1\n5e3,6,2\n"),
    "text_labels": (0x00, "a,b,c,label\n1,2,3,walk\n4,5,6,run\r\n7,8,9,walk\n\n"),
    "quoted": (0x00, '"x, y",z,label\n"1",2,"cat"\n3,"4","dog ""big"""\n'),
    "semicolon": (0x01, "f1;f2;label\n1;2;0\n3;4;1\n"),
    "tab": (0x02, "f1\tf2\tlabel\n1\t2\t1\n"),
    "two_labels": (0x04 | 0x10, "f,l1,l2\n1,0,1\n2,1,1\n"),
    "named_label": (0x08, "label,f1,f2\n1,0.5,0.25\n0,1,2\n"),
    "multi_hot_named": (0x0c, "a,f,b\n1,0.5,0\n0,1,1\n"),
    "bom": (0x00, "\ufefff,label\n1,0\n"),
}
for name, (selector, text) in csv.items():
    open(os.path.join(out, "csv", name), "wb").write(bytes([selector]) + text.encode("utf-8"))
PY
cli="${3:-}"
if [ -n "$cli" ]; then
  mkdir -p "$out/study"
  "$cli" study config --profile quick > "$out/study/quick.json"
  "$cli" study config --profile full > "$out/study/full.json"
  /usr/bin/python3 - "$out/study" <<'PY'
import copy, json, os, sys

out = sys.argv[1]
quick = json.load(open(os.path.join(out, "quick.json")))

def save(name, doc):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    open(os.path.join(out, name + ".json"), "w").write(text)

save("quick_compact", quick)
save("empty_object", {})
one = copy.deepcopy(quick)
one["models"] = quick["models"][:1]
one["datasets"] = [d for d in quick["datasets"] if d["name"] == one["models"][0]["dataset"]]
save("one_model", one)
overrides = copy.deepcopy(one)
overrides["models"][0].update({"sparsity": 0.5, "factor_method": "svd", "factor_rank": 4, "width_scale": 0.5})
save("model_overrides", overrides)
subsets = copy.deepcopy(quick)
for key in ("stages", "strategies", "schemes"):
    subsets[key] = quick[key][:1]
save("subsets", subsets)
save("only_training", {"training": quick["training"], "seed": 7})
save("unknown_key", dict(quick, epochz=3))
save("wrong_type", dict(quick, seed="1"))
save("negative_epochs", dict(quick, training=dict(quick["training"], epochs=-1)))
save("huge_number", dict(quick, calibration_samples=1e300))
save("not_an_object", [quick["name"], 1, None, True])
PY
fi
echo "seed corpora in $out: $(ls "$out/tflite" | wc -l) tflite, $(ls "$out/npy" | wc -l) npy, $(ls "$out/npz" | wc -l) npz, $(ls "$out/csv" | wc -l) csv, $(ls "$out/study" 2>/dev/null | wc -l) study"
