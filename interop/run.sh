#!/usr/bin/env bash
# Checks autonl's exported networks in the real runtimes (see
# interop/README.md): ONNX Runtime and ONNX's checker on the ONNX files,
# PyTorch both ways on the network files, and a two-process torchrun (DDP,
# gloo on the CPU) training run of python/train_ddp.py whose result Go
# loads and exports again. Networks: MobileNetV2 and AutoNL-S at 224×224,
# a searched-like network (testnets.SearchedArch: kernels 3/5, expansions
# 3/6, dropped layers, squeeze-excite, LightNL ratios 0.125/0.25 and key
# strides 1/2, swish) with input normalization in the ONNX graph, and the
# checkpoint of a short `autonl train` run exported by `autonl export`.
#
#   bash interop/run.sh          installs what is missing (interop/install.sh), then checks
#   INTEROP_INSTALL=0 bash interop/run.sh   checks with what is installed
#
# Checks whose runtime is missing are skipped with a line saying so. Exit
# status 1 if any check that ran failed (relative logit difference above
# 1e-4, or a runtime error).
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

if [ "${INTEROP_INSTALL:-1}" != 0 ]; then
	bash interop/install.sh
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0
skipped=0
check() { # description, command...
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "interop: FAILED: $what"
	fi
}
skip() {
	skipped=$((skipped + 1))
	echo "interop: SKIPPED: $*"
}

py=/usr/bin/python3
have_torch=0
have_onnx=0
have_ort=0
$py -c 'import torch' >/dev/null 2>&1 && have_torch=1
$py -c 'import onnx' >/dev/null 2>&1 && have_onnx=1
node -e "require('./interop/node_modules/onnxruntime-node')" >/dev/null 2>&1 && have_ort=1

# The Go side: test networks, and a short training run exported by the CLI.
set -e
go build -o "$dir/autonl" ./cmd/autonl
go build -o "$dir/interop" ./interop
"$dir/interop" write "$dir"
"$dir/autonl" train -train-size 256 -test-size 64 -batch 64 -epochs 1 -ema 0.9 -out "$dir/run" >"$dir/train.log"
"$dir/autonl" export -checkpoint "$dir/run/checkpoint.safetensors" -format safetensors -o "$dir/trained.safetensors"
"$dir/autonl" export -checkpoint "$dir/run/checkpoint.safetensors" -format onnx -o "$dir/trained.onnx"
"$dir/interop" io "$dir" trained
set +e
cases="mobilenetv2 autonl-s searched trained"

if [ $have_onnx = 1 ]; then
	for c in $cases; do
		check "onnx.checker $c" $py -c 'import onnx, sys
onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)
print("%-12s onnx.checker %s (full check, with shape inference): ok" % (sys.argv[2], onnx.__version__))' "$dir/$c.onnx" "$c"
	done
else
	skip "onnx.checker: Debian python3-onnx is not installed"
fi

if [ $have_ort = 1 ]; then
	for c in $cases; do
		check "ONNX Runtime $c" node interop/ort_check.js "$dir" "$c"
	done
else
	skip "ONNX Runtime checks: npm onnxruntime-node is not installed in interop/node_modules"
fi

if [ $have_torch = 1 ]; then
	check "python/ unit tests" $py -B -m unittest discover -s python -p 'test_*.py'
	check "PyTorch: Go → PyTorch" $py interop/torch_check.py "$dir" $cases
	for c in $cases; do
		check "PyTorch → Go $c" "$dir/interop" compare "$dir" "$c"
	done
	# Two processes of DDP on the CPU (gloo), starting from the searched
	# network's file; then Go loads the result and exports it to ONNX.
	# Debian's torch 1.13 under Python 3.11 cannot parse torchrun's default
	# --redirects 0 (IntFlag iteration changed in 3.11), so stdout is
	# redirected and teed explicitly.
	check "torchrun DDP, 2 processes" $py -m torch.distributed.run --nproc_per_node 2 --redirects 1 --tee 1 \
		python/train_ddp.py --init "$dir/searched.safetensors" --synthetic 64 --size 64 --batch 8 \
		--steps 3 --workers 0 --out "$dir/ddp.safetensors"
	if [ -f "$dir/ddp.safetensors" ]; then
		check "autonl export of the DDP result" "$dir/autonl" export -checkpoint "$dir/ddp.safetensors" -o "$dir/ddp.onnx"
		check "Go logits of the DDP result" "$dir/interop" io "$dir" ddp
		check "Go → PyTorch ddp" $py interop/torch_check.py "$dir" ddp
		if [ $have_ort = 1 ]; then
			check "ONNX Runtime ddp" node interop/ort_check.js "$dir" ddp
		fi
	fi
else
	skip "PyTorch checks and torchrun: Debian python3-torch is not installed"
fi

echo "interop: $passed checks ok, $failed failed, $skipped skipped ($((SECONDS - start)) s)"
[ $failed = 0 ]
