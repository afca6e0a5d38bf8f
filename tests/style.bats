#!/usr/bin/env bats
# The promises every file and chapter makes: one C style, clean builds under
# both compilers, and a complete chapter layout.

load helpers

# Every C file of ours: tests/seeds/ holds the seeds' programs byte for
# byte, which are kept as they were written on purpose.
c_files() {
	git -C "$TOP" ls-files --cached --others --exclude-standard \
		-- '*.c' '*.h' ':(exclude)tests/seeds/*' | sed "s|^|$TOP/|"
}

@test "style: every C file is formatted by the committed .clang-format" {
	command -v clang-format >/dev/null || skip "clang-format not installed"
	run clang-format --dry-run --Werror $(c_files)
	[ "$status" -eq 0 ] || fail "run 'clang-format -i FILE' on:" \
		"$(echo "$output" | grep -o '^[^:]*\.[ch]' | sort -u)"
}

@test "style: everything builds with clang -Wall -Wextra -Werror" {
	command -v clang >/dev/null || skip "clang not installed"
	local copy=$BATS_TEST_TMPDIR/tree ex
	mkdir -p "$copy"
	# A copy, so the gcc build the other suites use stays in place.
	(cd "$TOP" && git ls-files --cached --others --exclude-standard |
		tar -cf - -T -) | tar -xf - -C "$copy"
	run make -s -C "$copy" all CC=clang
	expect_success
	# The exercises too: each reference solution, built with clang,
	# passes its tests.
	for ex in "$copy"/exercises/[0-9][0-9]-*/; do
		run make -s -C "$ex" check SOLUTION=1 CC=clang
		expect_success
	done
}

@test "style: every chapter has a lesson, a Makefile with run and test" {
	local ch bad=
	for ch in "$TOP"/chapters/[0-9][0-9]-*/; do
		[ -s "$ch/README.md" ] || bad="$bad ${ch}README.md"
		grep -q '^run:' "$ch/Makefile" || bad="$bad ${ch}Makefile:run"
		grep -q 'common.mk\|^test:' "$ch/Makefile" ||
			bad="$bad ${ch}Makefile:test"
		! grep -nwE 'TODO|XXX|FIXME|TBD' "$ch"/README.md "$ch"/*.c \
			>/dev/null 2>&1 || bad="$bad ${ch}:TODO-marker"
	done
	[ -z "$bad" ] || fail "missing or unfinished:$bad"
}

@test "style: the line ranges lessons cite hold the functions they name" {
	command -v python3 >/dev/null || skip "python3 not installed"
	run "$TOP/tests/tools/lesson_refs.py" "$TOP"/chapters/*/README.md \
		"$TOP"/notes/*.md
	[ "$status" -eq 0 ] || fail "a lesson cites lines that moved:" \
		"$output"
}
