#!/bin/sh
# hint.sh - `make hint` in an exercise: shows hints/1.txt, then 2.txt, ...
# one per call, remembering the last one shown in .hint-level. With an
# argument N it shows hint N again.
n=$1
if [ -z "$n" ]; then
	last=$(cat .hint-level 2>/dev/null || echo 0)
	n=$((last + 1))
fi
if [ ! -f "hints/$n.txt" ]; then
	echo "No hint $n. The reference solution is in" \
		"../solutions/$(basename "$PWD")/ - try once more first."
	exit 0
fi
total=$(ls hints/*.txt | wc -l)
echo "Hint $n of $total:"
echo
cat "hints/$n.txt"
[ "$n" -gt "$(cat .hint-level 2>/dev/null || echo 0)" ] && echo "$n" >.hint-level
exit 0
