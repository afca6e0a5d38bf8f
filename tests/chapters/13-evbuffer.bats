#!/usr/bin/env bats
# Chapter 13: evbuffer. Each demo's output is checked against what the
# evbuffer API promises, worked out here independently: the bytes after
# each chain_view step, a model of the five EOL styles run on the same
# reads as readln_split (random splits too), when reference cleanups run,
# one writev(2) for four chunks. The same sources built against libevent
# 2.1 must say the same; and the demo works.

load ../helpers

CH=$TOP/chapters/13-evbuffer

setup_file() {
	make -s -C "$TOP/chapters/13-evbuffer" all >/dev/null
	if pkg-config --exists libevent_core 2>/dev/null; then
		make -s -C "$TOP/chapters/13-evbuffer" libevent >/dev/null
	fi
}

# The strace runs set ASAN_OPTIONS=detect_leaks=0: in a sanitizer build
# (make sanitize) LeakSanitizer cannot work under ptrace and would fail the
# program at exit.

# prog NAME SUFFIX: the program built against minievent (SUFFIX empty) or
# libevent (SUFFIX "-libevent").
prog() {
	if [ -z "$2" ]; then
		echo "$CH/$1"
	else
		echo "$CH/.build/$1$2"
	fi
}

# ---------------------------------------------------------------- chain_view

# The bytes of a chain_view line, chunk borders removed: "[a600 b376]
# [b224]" becomes "a600 b600".
chain_bytes() {
	sed 's/.*chunks\{0,1\} *://' <<<"$1" | tr -d '[]' |
		awk '{ for (i = 1; i <= NF; i++) {
			c = substr($i, 1, 1); n = substr($i, 2) + 0
			if (k > 0 && c == last) { cnt[k] += n; continue }
			k++; ch[k] = c; cnt[k] = n; last = c
		}
		for (i = 1; i <= k; i++) printf "%s%s%d", (i > 1 ? " " : ""), ch[i], cnt[i]
		print "" }'
}

# The line of chain_view's output that starts with the step's name.
chain_line() {
	grep -F -- "$1" <<<"$output" | head -n 1
}

# Sizes of the chunks of a chain_view line, one per line.
chunk_sizes() {
	sed 's/.*chunks\{0,1\} *://' <<<"$1" | grep -o '\[[^]]*\]' |
		tr -d '[]' | awk '{ s = 0; for (i = 1; i <= NF; i++)
			s += substr($i, 2); print s }'
}

chain_view_claims() {
	run "$(prog chain_view "$1")"
	expect_success
	# What each step leaves, from the operations alone: drain 700 takes
	# the 600 a and 100 b; remove_buffer 2500 takes h16 b500 c1984.
	local -a steps=("add 600 'a'" "add 600 'b'" "add 3000 'c'" "drain 700"
		"prepend 16 'h'" "pullup 1000" "commit 1500 'd'"
		"add_buffer: all to B" "remove_buffer 2500: B" "... to A"
		"pullup -1: A" "drain 2500: A")
	local -a want=("a600" "a600 b600" "a600 b600 c3000" "b500 c3000"
		"h16 b500 c3000" "h16 b500 c3000" "h16 b500 c3000 d1500"
		"h16 b500 c3000 d1500" "c1016 d1500" "h16 b500 c1984"
		"h16 b500 c1984" "")
	local -a len=(600 1200 4200 3500 3516 3516 5016 5016 2516 2500 2500 0)
	local i line got
	for i in "${!steps[@]}"; do
		line=$(chain_line "${steps[$i]}")
		[ -n "$line" ] || fail "chain_view$1: no line for '${steps[$i]}'" \
			"$output" || return 1
		got=$(chain_bytes "$line")
		[ "$got" = "${want[$i]}" ] ||
			fail "chain_view$1, ${steps[$i]}: expected bytes" \
				"'${want[$i]}', got '$got' in:" "$line" || return 1
		[[ $line == *" ${len[$i]} bytes,"* ]] ||
			fail "chain_view$1, ${steps[$i]}: expected ${len[$i]}" \
				"bytes:" "$line" || return 1
	done
	# pullup(1000): the first chunk holds at least 1000 bytes, and the
	# pointer returned is its start; pullup(-1): one chunk.
	got=$(chunk_sizes "$(chain_line "pullup 1000")" | head -n 1)
	[ "$got" -ge 1000 ] || fail "chain_view$1: pullup 1000 left a first" \
		"chunk of $got bytes" || return 1
	expect_output "pullup returned the first chunk's address: yes"
	expect_output "pullup -1: A +2500 bytes, 1 chunk :"
	# reserve: one or two extents, at least the 2000 bytes asked.
	[[ $output =~ reserve\ 2000:\ ([12])\ extent\(s\),\ ([0-9]+)\ bytes ]] &&
		[ "${BASH_REMATCH[2]}" -ge 2000 ] ||
		fail "chain_view$1: expected 1-2 extents of >= 2000 bytes" \
			"$output" || return 1
	# add_buffer relinks: every chunk keeps its address.
	[[ $output =~ add_buffer:\ ([0-9]+)\ of\ ([0-9]+)\ chunks\ kept\ their\ address\;\ A\ is\ empty:\ yes ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
		fail "chain_view$1: add_buffer must move chunks, not copy" \
			"$output"
}

@test "chain_view: the bytes after each step, and what each step promises" {
	chain_view_claims ""
}

@test "chain_view on libevent: the same bytes after every step" {
	need_libevent
	chain_view_claims -libevent
	local le mine
	le=$(while IFS= read -r l; do chain_bytes "$l"; done \
		<<<"$("$(prog chain_view -libevent)" | grep 'bytes,')")
	mine=$(while IFS= read -r l; do chain_bytes "$l"; done \
		<<<"$("$(prog chain_view)" | grep 'bytes,')")
	[ "$le" = "$mine" ] || fail "expected the same bytes per step;" \
		"libevent:" "$le" "minievent:" "$mine"
}

# -------------------------------------------------------------- readln_split

# The test's own model of evbuffer_readln. A stream is written in symbols:
# R for \r, N for \n, Z for \0, lowercase letters for themselves.

# model_take STYLE BUFFER: prints "LINE DRAIN" for the first line in the
# buffer (DRAIN: bytes to remove, line and end of line), or nothing.
model_take() {
	local style=$1 b=$2 i j n=${#2}
	case $style in
	LF | CRLF | NUL)
		local eol=N
		[ "$style" = NUL ] && eol=Z
		for ((i = 0; i < n; i++)); do
			[ "${b:i:1}" = "$eol" ] || continue
			if [ "$style" = CRLF ] && [ "$i" -gt 0 ] &&
				[ "${b:i-1:1}" = R ]; then
				echo "${b:0:i-1} $((i + 1))"
			else
				echo "${b:0:i} $((i + 1))"
			fi
			return
		done ;;
	CRLF_STRICT)
		for ((i = 0; i + 1 < n; i++)); do
			if [ "${b:i:2}" = RN ]; then
				echo "${b:0:i} $((i + 2))"
				return
			fi
		done ;;
	ANY)
		for ((i = 0; i < n; i++)); do
			case ${b:i:1} in R | N) ;; *) continue ;; esac
			for ((j = i; j < n; j++)); do
				case ${b:j:1} in R | N) ;; *) break ;; esac
			done
			echo "${b:0:i} $j"
			return
		done ;;
	esac
}

# model_row STYLE READ...: "cell | cell | ... | left X", one cell per
# read (the lines taken after it, quoted, or -), as readln_split prints.
model_row() {
	local style=$1 buf= row= cell r took line drain
	shift
	for r in "$@"; do
		buf+=$r
		cell=
		while took=$(model_take "$style" "$buf") && [ -n "$took" ]; do
			line=${took% *} drain=${took##* }
			cell+="${cell:+ }\"$line\""
			buf=${buf:drain}
		done
		row+="${cell:--} | "
	done
	echo "${row}left \"$buf\""
}

# to_args SYMBOLS: C escapes for readln_split's arguments.
to_args() {
	sed 's/R/\\r/g; s/N/\\n/g; s/Z/\\0/g' <<<"$1"
}

# demo_row STYLE: readln_split's row for EVBUFFER_EOL_STYLE, in symbols,
# spaces normalised.
demo_row() {
	grep "^EVBUFFER_EOL_$1 " <<<"$output" | sed "s/^EVBUFFER_EOL_$1 *//" |
		sed 's/\\r/R/g; s/\\n/N/g; s/\\0/Z/g' |
		sed 's/  *|/ |/g; s/|  */| /g'
}

# readln_agrees SUFFIX READ...: every style's row matches the model, with
# the reads added by copy and (-c) each as a chunk of its own; the two
# outputs are the same.
readln_agrees() {
	local suffix=$1 style want got r copied
	shift
	local -a args=()
	for r in "$@"; do args+=("$(to_args "$r")"); done
	run "$(prog readln_split "$suffix")" -c "${args[@]}"
	expect_success || return 1
	local chunked=$output
	run "$(prog readln_split "$suffix")" "${args[@]}"
	expect_success || return 1
	[ "$output" = "$chunked" ] || fail "readln_split$suffix, reads $*:" \
		"one chunk per read (-c) changed the answers:" "$chunked" \
		"added by copy:" "$output" || return 1
	for style in ANY CRLF CRLF_STRICT LF NUL; do
		want=$(model_row "$style" "$@")
		got=$(demo_row "$style")
		[ "$got" = "$want" ] || fail "readln_split$suffix, reads $*," \
			"EVBUFFER_EOL_$style:" "expected: $want" "got:      $got" \
			|| return 1
	done
}

# random_split SYMBOLS: the stream cut at random places, one read per word.
random_split() {
	local s=$1 out=
	while [ ${#s} -gt 0 ]; do
		local k=$((RANDOM % 4 + 1))
		out+="${s:0:k} "
		s=${s:k}
	done
	echo "$out"
}

@test "readln_split: the CRLF split across reads, as the lesson says" {
	run "$CH/readln_split"
	expect_success
	# Worked out from the styles' definitions (see the lesson's table).
	[ "$(demo_row ANY)" = '"ab" | "" "cd" | left ""' ] &&
		[ "$(demo_row CRLF)" = '- | "ab" "cd" | left ""' ] &&
		[ "$(demo_row CRLF_STRICT)" = '- | "ab" | left "cdN"' ] &&
		[ "$(demo_row LF)" = '- | "abR" "cd" | left ""' ] &&
		[ "$(demo_row NUL)" = '- | - | left "abRNcdN"' ] ||
		fail "unexpected rows:" "$output"
}

@test "readln_split: every style agrees with the model, whole and split" {
	local s
	for s in abRNcdN aRRNbNRcZdRN RNRNxN NNaZZbRRNN aRbRNRc ZabZ; do
		readln_agrees "" "$s"
		readln_agrees "" ${s:0:3} ${s:3}
		readln_agrees "" $(random_split "$s")
		readln_agrees "" $(random_split "$s")
	done
}

@test "readln_split on libevent: the model agrees, and the outputs match" {
	need_libevent
	local s split
	for s in abRNcdN aRRNbNRcZdRN RNRNxN aRbRNRc; do
		split=$(random_split "$s")
		readln_agrees -libevent $split
		local le=$output
		readln_agrees "" $split
		[ "$output" = "$le" ] || fail "outputs differ for $split:" \
			"libevent:" "$le" "minievent:" "$output"
	done
}

# ----------------------------------------------------------------- zero_copy

zero_copy_claims() {
	run "$(prog zero_copy "$1")"
	expect_success
	# The cleanup runs once, when the last referenced byte is gone: not
	# on a partial drain, not on a move; on the final drain, and when a
	# pullup copies the bytes away.
	local want got
	want=$(printf '%s\n' "the chunk's address is the string's: yes" \
		"drain 5: cleanups so far 0" \
		"moved to another buffer: cleanups so far 0" \
		'-> cleanup(13 bytes at "hello...")' \
		"drain the last 8 there: cleanups so far 1" \
		'-> cleanup(5 bytes at "hello...")' \
		"again, then pullup(-1) copies it away: cleanups so far 2" \
		"1048576 bytes in 1 chunk(s); the first holds 1048576" \
		"its first bytes, as written to the file: file byte 00000")
	got=$(sed -n 's/^   //p' <<<"$output")
	[ "$got" = "$want" ] || fail "zero_copy$1: expected" "$want" "got" "$got"
}

@test "zero_copy: a reference's cleanup runs once, at the right moment" {
	zero_copy_claims ""
}

@test "zero_copy on libevent: the same lines" {
	need_libevent
	zero_copy_claims -libevent
}

@test "zero_copy: evbuffer_add_file puts a file in the buffer without read()" {
	command -v strace >/dev/null || skip "strace is not installed"
	run env ASAN_OPTIONS=detect_leaks=0 strace -e trace=openat,close,read,pread64,readv,preadv \
		"$CH/zero_copy"
	expect_success
	# The temporary file's descriptor, then any read of it until it is
	# closed (after that, the number may be reused).
	local fd reads
	fd=$(sed -n 's|^openat(.*"/tmp/zero_copy\.[^"]*".* = \([0-9]*\)$|\1|p' \
		<<<"$output")
	[ -n "$fd" ] || fail "no openat of the temporary file in:" "$output"
	reads=$(sed -n "/\"\/tmp\/zero_copy\./,/^close($fd)/p" <<<"$output" |
		grep -E "^(read|pread64|readv|preadv)\($fd," || true)
	[ -z "$reads" ] || fail "expected no read of the file (fd $fd), got:" \
		"$reads"
}

# ----------------------------------------------------------------- send_file

@test "send_file: each way delivers every byte; add_file reads nothing" {
	run "$CH/send_file" -m 4 -r 1
	expect_success
	expect_output "read\(\) \+ evbuffer_add\(\) +copies here: 2 +CPU +[0-9.]+ ms +page faults +[0-9]+"
	expect_output "read\(\) into reserved space +copies here: 1 +CPU"
	expect_output "mmap\(\) \+ add_reference\(\) +copies here: 0 +CPU"
	expect_output "evbuffer_add_file\(\) +copies here: 0 +CPU"
	command -v strace >/dev/null || skip "strace is not installed"
	# 4 MiB read in 64 KiB blocks by each of the first two ways: 128
	# reads of 65536 bytes in all; the third way reads nothing.
	run env ASAN_OPTIONS=detect_leaks=0 strace -e trace=read "$CH/send_file" -m 4 -r 1
	expect_success
	local n
	n=$(grep -c '^read([0-9]*, .*, 65536) = 65536$' <<<"$output" || true)
	[ "$n" -eq 128 ] || fail "expected 128 reads of 64 KiB, got $n"
}

# The file of evbuffer_add_file() reaches the socket through sendfile(),
# all 4 MiB of it, and is never mapped: the one mapping of the file's size
# is the program's own (way 3, written with writev()).
sendfile_claims() {
	command -v strace >/dev/null || skip "strace is not installed"
	run env ASAN_OPTIONS=detect_leaks=0 strace -e trace=sendfile,writev,mmap \
		"$(prog send_file "$1")" -m 4 -r 1
	expect_success
	local sent maps mapped_writes
	sent=$(sed -n 's/^sendfile(.*) = \([0-9]*\)$/\1/p' <<<"$output" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$sent" -eq 4194304 ] ||
		fail "send_file$1: expected sendfile() to carry the 4 MiB" \
			"file, it carried $sent bytes" "$output" || return 1
	maps=$(grep -c '^mmap(NULL, 4194304, PROT_READ, MAP_PRIVATE,' \
		<<<"$output" || true)
	[ "$maps" -eq 1 ] ||
		fail "send_file$1: expected one mapping of the file (way 3's)," \
			"got $maps" "$output" || return 1
	# Ways 1 and 2 write 64 KiB chunks; way 3 hands the whole mapping
	# to writev() (the socket is blocking: one call, or a few).
	mapped_writes=$(grep -c '^writev(.*iov_len=4194304}' <<<"$output" || true)
	[ "$mapped_writes" -ge 1 ] ||
		fail "send_file$1: expected a writev() of the 4 MiB mapping" \
			"$output"
}

@test "send_file: evbuffer_add_file goes out by sendfile, never mapped" {
	sendfile_claims ""
}

@test "send_file on libevent: the same system calls" {
	need_libevent
	sendfile_claims -libevent
}

# ------------------------------------------------------------ scatter_gather

scatter_claims() {
	run "$(prog scatter_gather "$1")" -m 3
	expect_success
	# Four references are four chunks (50 bytes); writing 10 leaves
	# 40 in the same four; FIONREAD then sees all 50.
	expect_output "1\. 50 bytes in 4 chunks"
	expect_output "evbuffer_write_atmost\(10\) wrote 10; 40 left in 4 chunks"
	expect_output "evbuffer_write\(\) wrote 40; 0 left"
	expect_output "FIONREAD: 50 bytes waiting; evbuffer_read\(-1\) read 50 into [12] chunk"
	expect_output "again: -1 \(EAGAIN: nothing waits\)"
	expect_output "bytes sent 3145728, received 3145728, out of order 0"
	# libevent 2.1 reads at most 4096 bytes per evbuffer_read().
	[[ $output =~ evbuffer_read:\ +([0-9]+)\ calls,\ at\ most\ ([0-9]+) ]] &&
		[ "${BASH_REMATCH[2]}" -le 4096 ] &&
		[ "${BASH_REMATCH[1]}" -ge 768 ] ||
		fail "scatter_gather$1: expected reads of 4096 bytes at most" \
			"$output"
}

@test "scatter_gather: write, write_atmost, read and 3 MiB through a socket" {
	scatter_claims ""
}

@test "scatter_gather on libevent: the same claims hold" {
	need_libevent
	scatter_claims -libevent
}

@test "scatter_gather: four chunks leave in one writev with four iovecs" {
	command -v strace >/dev/null || skip "strace is not installed"
	run env ASAN_OPTIONS=detect_leaks=0 strace -e trace=readv,writev "$CH/scatter_gather" -m 0
	expect_success
	expect_output 'writev\([0-9]+, \[\{iov_base="GET / HTTP", iov_len=10\}\], 1\) = 10'
	expect_output 'writev\([0-9]+, \[\{iov_base="/1\.1\\r\\n", iov_len=6\}, \{iov_base="Host: example\.org\\r\\n", iov_len=19\}, \{iov_base="Accept: \*/\*\\r\\n", iov_len=13\}, \{iov_base="\\r\\n", iov_len=2\}\], 4\) = 40'
	expect_output 'readv\([0-9]+, .*\) = 50'
}

# -------------------------------------------------------------------- lesson

# Every "`name()` ... lines A-B" in the lesson must be that function in
# lib/buffer.c, lib/buffer_readln.c or chapters/common/conn.c: its return
# type on line A, the name on A+1 (or A), its closing brace on line B; and
# "`struct name` (... line N" must be where the struct is defined.
@test "the lesson's line numbers point at the functions and structs it names" {
	command -v perl >/dev/null || skip "perl is not installed"
	run perl -e '
		my $top = shift;
		my @files = map { "$top/$_" }
			qw(lib/buffer.c lib/buffer_readln.c chapters/common/conn.c);
		my %src;
		for my $f (@files) {
			open(my $h, "<", $f) or die "$f: $!";
			$src{$f} = [<$h>];
		}
		local $/;
		open(my $r, "<", "$top/chapters/13-evbuffer/README.md") or die;
		my $text = <$r>;
		$text =~ s/\s+/ /g;
		my ($n, $bad) = (0, 0);
		while ($text =~ /`(\w+)\([^`]*\)`[^`]{0,60}?lines (\d+)-(\d+)/g) {
			my ($name, $a, $b) = ($1, $2, $3);
			$n++;
			my $ok = 0;
			for my $f (@files) {
				my $l = $src{$f};
				my $at = ($l->[$a - 1] // "") =~ /^\Q$name\E\(/ ? $a - 1
				       : ($l->[$a] // "") =~ /^\Q$name\E\(/ ? $a : -1;
				next if $at < 0;
				my $end = $at;
				$end++ while $end < @$l && $l->[$end] !~ /^}/;
				$ok = 1 if $end + 1 == $b;
			}
			next if $ok;
			print "$name: lines $a-$b do not hold it\n";
			$bad++;
		}
		while ($text =~ /`struct (\w+)` \([^)]*?line (\d+)/g) {
			$n++;
			next if ($src{$files[0]}[$2 - 1] // "") =~ /^struct \Q$1\E \{/;
			print "struct $1: not defined on line $2\n";
			$bad++;
		}
		print "$n references checked\n";
		exit($bad || $n < 30 ? 1 : 0);
	' "$TOP"
	expect_success
}

# ---------------------------------------------------------------------- demo

@test "make run exits 0 and shows every part" {
	run make -s -C "$CH" run
	expect_success
	expect_output "pullup -1: A"
	expect_output "EVBUFFER_EOL_ANY +\"ab\" \| \"\" \"cd\""
	expect_output "cleanups so far 2"
	expect_output "evbuffer_add_file\(\) +copies here: 0"
	if command -v strace >/dev/null; then
		expect_output "sendfile\([0-9]+, [0-9]+, \[0\] => \[8388608\], 8388608\) = 8388608"
	fi
	expect_output "out of order 0"
	if pkg-config --exists libevent_core 2>/dev/null; then
		expect_output "readln_split: the same output, byte for byte"
		expect_output "zero_copy: the same output, byte for byte"
	fi
}
