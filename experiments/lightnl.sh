#!/usr/bin/env bash
# The LightNL experiment: the same small MBConv network with and without
# LightNL blocks, trained with the same schedule on the embedded data and on
# Fashion-MNIST, SEEDS seeds each; prints a markdown table of multiply-adds,
# parameters and final test accuracy (mean ± sample standard deviation).
#
#   JOBS=2 bash experiments/lightnl.sh         # everything (about 1 h 10 min on 2 cores)
#   DATASETS=embedded SEEDS="1 2 3 4 5" JOBS=2 bash experiments/lightnl.sh   # about 30 min
#
# Environment: DATASETS (default "embedded fashion-mnist"), SEEDS (default
# "1 2 3"), EPOCHS_embedded (4, as autonl train), EPOCHS_fashion_mnist (3), OUT (runs/lightnl),
# TRAIN_FLAGS (more flags for autonl train, such as "-train-size 2000"),
# JOBS (runs at a time, default 1; with JOBS=2 each run uses one thread,
# which on 2 cores finishes the set sooner; the results do not depend on
# the number of threads). The embedded data is autonl train's default: 64×64
# images, 40,000 for training and 2,000 for testing. A run whose directory
# holds a finished run of the same command is not repeated (remove OUT to
# rerun after changing the code).
# Fashion-MNIST comes from Debian's dataset-fashion-mnist package
# (apt-get install -y dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/common.sh

datasets=${DATASETS:-"embedded fashion-mnist"}
seeds=${SEEDS:-"1 2 3"}
out=${OUT:-runs/lightnl}
jobs=${JOBS:-1}
mkdir -p "$out"
go build -o "$out/autonl" ./cmd/autonl

# The default network of autonl train, and the same without LightNL.
cat > "$out/with.arch" <<'ARCH'
r1_k3_s22_e1_i16_o16
r1_k3_s22_e4_i16_o24
r1_k3_s11_e4_i24_o24_nonlocal0.25
r1_k3_s22_e4_i24_o40_nonlocal0.25
r1_k3_s11_e4_i40_o40_nonlocal0.25
ARCH
sed 's/_nonlocal[0-9.]*\(-[0-9]*\)\?//' "$out/with.arch" > "$out/without.arch"

epochs_for() {
	local var=EPOCHS_${1//-/_}
	case $1 in
	embedded) echo "${!var:-4}" ;;
	*) echo "${!var:-3}" ;;
	esac
}

# run DATA NET SEED trains one network unless the same command has finished
# in its directory before.
run() {
	local dir="$out/$1-$2-seed$3"
	run_once "$dir" "$out/autonl" train -data "$1" -arch "$out/$2.arch" -head 128 \
		-epochs "$(epochs_for "$1")" -seed "$3" -out "$dir" ${TRAIN_FLAGS:-}
}

for data in $datasets; do
	for net in with without; do
		for seed in $seeds; do
			wait_slot
			run "$data" "$net" "$seed" &
		done
	done
done
wait_all

echo "| data | network | MACs | params | test accuracy (mean ± sd, n) | runs |"
echo "|---|---|---|---|---|---|"
for data in $datasets; do
	for net in with without; do
		accs=()
		for seed in $seeds; do
			dir="$out/$data-$net-seed$seed"
			grep -q '^final test accuracy' "$dir.log" || { echo "run $dir failed: see $dir.log" >&2; exit 1; }
			accs+=("$(tail -n 1 "$dir/metrics.csv" | cut -d, -f7)")
		done
		# The model line of the last run's log: "model: ..., 1.91M MACs, 40k parameters".
		read -r macs params < <(sed -n 's/^model: .*, \([^ ]*\) MACs, \([^ ]*\) parameters.*$/\1 \2/p' "$dir.log")
		stats=$(printf '%s\n' "${accs[@]}" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; sd=(n>1)?sqrt((q-n*m*m)/(n-1)):0; printf "%.2f%% ± %.2f (n=%d)", 100*m, 100*sd, n}')
		echo "| $data | $net LightNL | $macs | $params | $stats | ${accs[*]} |"
	done
done
