#!/usr/bin/env bash
# The search against its baselines: for each seed, the network that
# autonl search derives, the best of a random search with the same space,
# MACs target and training budget (autonl search -random), and autonl
# train's hand-placed default network, each then trained from scratch with
# autonl train's recipe; prints a markdown table of MACs, parameters,
# LightNL blocks and final test accuracy (mean ± sample standard deviation).
#
#   JOBS=2 bash experiments/search.sh      # about 1 h 15 min on 2 cores
#
# Environment: SEEDS (default "1 2 3"), OUT (runs/search-vs), JOBS (runs at
# a time, default 1; with JOBS=2 each run uses one thread, and the results
# do not depend on the number of threads), CANDIDATES (random networks per
# random search, default 4), SEARCH_FLAGS (more flags for both searches,
# such as "-data fashion-mnist -target 1.3M"), TRAIN_EPOCHS (4). A run
# whose directory holds a finished run of the same command is not
# repeated.
set -euo pipefail
cd "$(dirname "$0")/.."
source experiments/common.sh

seeds=${SEEDS:-"1 2 3"}
out=${OUT:-runs/search-vs}
jobs=${JOBS:-1}
candidates=${CANDIDATES:-4}
epochs=${TRAIN_EPOCHS:-4}
mkdir -p "$out"
go build -o "$out/autonl" ./cmd/autonl

# run NAME SEED CMD... runs CMD (its output directory is $out/NAME-seedSEED)
# unless the same command finished there before.
run() {
	local dir="$out/$1-seed$2"
	shift 2
	run_once "$dir" "$@" -out "$dir"
}

for seed in $seeds; do
	for kind in searched random default; do
		while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
			wait -n || true
		done
		case $kind in
		searched) run searched "$seed" "$out/autonl" search -seed "$seed" -train-epochs "$epochs" ${SEARCH_FLAGS:-} & ;;
		random) run random "$seed" "$out/autonl" search -random "$candidates" -seed "$seed" -train-epochs "$epochs" ${SEARCH_FLAGS:-} & ;;
		default) run default "$seed" "$out/autonl" train -seed "$seed" -epochs "$epochs" ${TRAIN_FLAGS:-} & ;;
		esac
	done
done
while [[ $(jobs -rp | wc -l) -gt 0 ]]; do
	wait -n || true
done

echo "| network | MACs | params | LightNL blocks | test accuracy (mean ± sd, n) | seeds $(echo $seeds | tr ' ' ',') |"
echo "|---|---|---|---|---|---|"
for kind in searched random default; do
	accs=() macs=() lnl=()
	for seed in $seeds; do
		dir="$out/$kind-seed$seed"
		grep -q '^final test accuracy' "$dir.log" || { echo "run $dir failed: see $dir.log" >&2; exit 1; }
		metrics=$dir/metrics.csv
		[[ $kind == default ]] || metrics=$dir/train/metrics.csv
		accs+=("$(tail -n 1 "$metrics" | cut -d, -f7)")
		# "model: searched network, 7.60M MACs, 56.1k parameters"
		read -r m p < <(sed -n 's/^model: .*, \([^ ]*\) MACs, \([^ ]*\) parameters.*$/\1 \2/p' "$dir.log")
		macs+=("$m/$p")
		arch=$dir/arch.txt
		[[ $kind == default ]] || arch=$dir/train/arch.txt
		lnl+=("$(grep -c nonlocal "$arch" || true)")
	done
	stats=$(printf '%s\n' "${accs[@]}" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; sd=(n>1)?sqrt((q-n*m*m)/(n-1)):0; printf "%.2f%% ± %.2f (n=%d)", 100*m, 100*sd, n}')
	pct=$(printf '%s\n' "${accs[@]}" | awk '{printf "%s%.2f", (NR>1?", ":""), 100*$1}')
	echo "| $kind | ${macs[*]%%/*} | $(printf '%s\n' "${macs[@]}" | cut -d/ -f2 | tr '\n' ' ') | ${lnl[*]} | $stats | $pct |"
done
