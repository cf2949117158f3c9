#!/usr/bin/env bash
# The LightNL experiment: the same small MBConv network with and without
# LightNL blocks, trained with the same schedule on the embedded data and on
# Fashion-MNIST, SEEDS seeds each; prints a markdown table of multiply-adds,
# parameters and final test accuracy (mean ± sample standard deviation).
#
#   bash experiments/lightnl.sh                # everything (about half an hour on 2 cores)
#   DATASETS=embedded SEEDS="1 2 3" bash experiments/lightnl.sh
#
# Environment: DATASETS (default "embedded fashion-mnist"), SEEDS (default
# "1 2 3"), EPOCHS_embedded (5), EPOCHS_fashion_mnist (3), OUT (runs/lightnl),
# TRAIN_FLAGS (more flags for autonl train, such as "-train-size 2000").
# Fashion-MNIST comes from Debian's dataset-fashion-mnist package
# (apt-get install -y dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."

datasets=${DATASETS:-"embedded fashion-mnist"}
seeds=${SEEDS:-"1 2 3"}
out=${OUT:-runs/lightnl}
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

echo "| data | network | MACs | params | test accuracy (mean ± sd, n) | runs |"
echo "|---|---|---|---|---|---|"
for data in $datasets; do
	var=EPOCHS_${data//-/_}
	case $data in
	embedded) epochs=${!var:-5} ;;
	*) epochs=${!var:-3} ;;
	esac
	for net in with without; do
		accs=()
		for seed in $seeds; do
			dir="$out/$data-$net-seed$seed"
			"$out/autonl" train -data "$data" -arch "$out/$net.arch" -head 128 \
				-epochs "$epochs" -seed "$seed" -out "$dir" ${TRAIN_FLAGS:-} > "$dir.log" 2>&1
			accs+=("$(tail -n 1 "$dir/metrics.csv" | cut -d, -f7)")
		done
		# The model line of the last run's log: "model: ..., 1.91M MACs, 40k parameters".
		read -r macs params < <(sed -n 's/^model: .*, \(.*\) MACs, \(.*\) parameters$/\1 \2/p' "$dir.log")
		stats=$(printf '%s\n' "${accs[@]}" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; sd=(n>1)?sqrt((q-n*m*m)/(n-1)):0; printf "%.2f%% ± %.2f (n=%d)", 100*m, 100*sd, n}')
		echo "| $data | $net LightNL | $macs | $params | $stats | ${accs[*]} |"
	done
done
