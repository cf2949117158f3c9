# Sourced by the experiment scripts.

# run_once DIR CMD... runs CMD, its output in DIR.log, unless the same
# command finished before (DIR.cmd holds it and DIR.log its final line).
# With jobs > 1 (the caller's variable) CMD runs on one thread. With LOCK
# set to a file, CMD runs under flock on it, so that runs of a long
# experiment take turns with other heavy jobs on a shared machine.
run_once() {
	local dir=$1
	shift
	if [[ -f $dir.cmd && $(cat "$dir.cmd") == "$*" ]] && grep -q '^final test accuracy' "$dir.log" 2>/dev/null; then
		return
	fi
	rm -f "$dir.cmd"
	local lock=()
	[[ -z ${LOCK:-} ]] || lock=(flock "$LOCK")
	if [[ $jobs -gt 1 ]]; then
		GOMAXPROCS=1 "${lock[@]}" "$@" > "$dir.log" 2>&1
	else
		"${lock[@]}" "$@" > "$dir.log" 2>&1
	fi
	echo "$*" > "$dir.cmd"
}

# wait_slot waits until fewer than jobs (the caller's variable) background
# runs are left, so that the next can start; a failed run does not stop
# the script.
wait_slot() {
	while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
		wait -n || true
	done
}

# wait_all waits for every background run.
wait_all() {
	while [[ $(jobs -rp | wc -l) -gt 0 ]]; do
		wait -n || true
	done
}
