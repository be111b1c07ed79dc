# Helpers that the CI scripts share; each script sources this file from the
# repository's root and sets log (a file for a command's output) first.

# run NAME CMD...: runs CMD with its output in $log, and on failure prints
# that output and stops.
run() {
	local name=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		cat "$log"
		echo "FAILED: $name"
		exit 1
	fi
}

# require PATTERN WHAT: fails unless $log has a line matching PATTERN.
require() {
	if ! grep -q -E -- "$1" "$log"; then
		cat "$log"
		echo "FAILED: $2"
		exit 1
	fi
}

# step NAME CMD...: runs CMD with its output in $log and prints one line,
# and the output's end when CMD failed; a failure sets failed=1 and returns
# 1, so that the script goes on to its next step.
step() {
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		sed 's/^/     | /' "$log" | tail -40
		failed=1
		return 1
	fi
}
