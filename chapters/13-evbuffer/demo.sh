#!/usr/bin/env bash
# demo.sh - `make run` for chapter 13: a buffer's chunks, readln and a CRLF
# split across reads, bytes held by reference and from a file, what copies
# cost, and the system calls that send a file (sendfile) and many chunks
# (one writev/readv per call), under strace when it is installed; then the
# same sources on libevent 2.1, when built (make libevent).
cd "$(dirname "$0")" || exit 1

# step TITLE COMMAND...: runs the command, indented; stops the demo if it
# fails.
step() {
	printf '\n== %s\n' "$1"
	shift
	"$@" 2>&1 | sed 's/^/   /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
}

# The system calls of send_file that carry the whole file at once: the
# program's own mmap(), the writev() of that mapping (way 3), and the
# sendfile() of evbuffer_add_file() (way 4). The 64 KiB writev()s of the
# first two ways are left out.
# shellcheck disable=SC2317 # called through step
whole_file_calls() {
	local calls
	calls=$(env ASAN_OPTIONS=detect_leaks=0 strace \
		-e trace=sendfile,writev,mmap ./send_file -m 8 -r 1 2>&1 >/dev/null) ||
		return 1
	grep -E '^(mmap\(NULL, 8388608,|(writev|sendfile)\(.*= 8388608$)' \
		<<<"$calls"
}

step "./chain_view: the chunks after each operation" ./chain_view
step "./readln_split: the five EOL styles, a CRLF split across two reads" \
	./readln_split
step "./readln_split 'Host: a\\r\\n\\r\\n': the blank line that ends a header" \
	./readln_split 'Host: a\r\n\r\n'
step "./zero_copy: a reference and a file, not copied" ./zero_copy
step "./send_file -m 64 -r 3: what copies cost (CPU times vary)" \
	./send_file -m 64 -r 3
if command -v strace >/dev/null; then
	step "strace -e trace=sendfile,writev,mmap ./send_file -m 8 -r 1: the calls that carry the whole 8 MiB" \
		whole_file_calls
	# A sanitizer build's leak checker cannot run under strace (ptrace).
	step "strace -e trace=readv,writev ./scatter_gather -m 0" \
		env ASAN_OPTIONS=detect_leaks=0 \
		strace -e trace=readv,writev ./scatter_gather -m 0
else
	step "./scatter_gather -m 0 (install strace to see the system calls)" \
		./scatter_gather -m 0
fi
printf '\n== ./scatter_gather -m 10: 10 MiB through a socket pair (part 3)\n'
out=$(./scatter_gather -m 10) || exit 1
sed -n '/^3\./,$s/^/   /p' <<<"$out"

printf '\n== The same sources on libevent 2.1\n'
if [ ! -x .build/readln_split-libevent ]; then
	echo "   skipped: libevent's development files are not installed"
	echo "   (sudo apt-get install libevent-dev pkg-config, then make run)"
	exit 0
fi
for p in readln_split zero_copy; do
	if cmp -s <(./$p) <(.build/$p-libevent); then
		echo "   $p: the same output, byte for byte"
	else
		echo "   $p: the outputs differ:"
		diff <(./$p) <(.build/$p-libevent) | sed 's/^/   /'
		exit 1
	fi
done
# The bytes are the same (the tests check it); the chunk sizes are not.
echo "   chain_view: the same bytes; the lines that differ, by chunk sizes:"
mine=$(./chain_view) && theirs=$(.build/chain_view-libevent) || exit 1
diff <(echo "$mine") <(echo "$theirs") |
	sed -n 's/^< /   minievent: /p; s/^> /   libevent:  /p'
exit 0
