# browser_npm_ci DIR: checks for node, npm and chromium, then installs the browser tests'
# npm packages (tests/browser/package-lock.json) into DIR, once per lock file. Prints
# FAIL and returns 1 when something is missing or npm fails. Source it; needs WORK.
browser_npm_ci() {
	local dir=$1 src="$ROOT/tests/browser" tool
	for tool in node npm /usr/bin/chromium; do
		command -v "$tool" >/dev/null ||
			{ echo "FAIL missing_$(basename "$tool") (toolchain/deps.sh browser installs it)"; return 1; }
	done
	mkdir -p "$dir"
	if cmp -s "$src/package-lock.json" "$dir/package-lock.json" &&
		[ -d "$dir/node_modules/playwright-core" ]; then
		return 0
	fi
	cp "$src/package.json" "$src/package-lock.json" "$dir/"
	(cd "$dir" && npm ci --no-audit --no-fund --prefer-offline >"$WORK/npm.log" 2>&1) ||
		{ echo "FAIL npm_ci"; cat "$WORK/npm.log"; return 1; }
}
