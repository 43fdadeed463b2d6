#!/usr/bin/env bash
# Generates the man pages and the shell completions of gitcanary from the
# built binary's own --help, so that they cannot drift from it:
#
#   scripts/gen-cli-files.sh BINARY OUTDIR
#
# writes OUTDIR/man1/gitcanary.1.gz (the commands), one
# OUTDIR/man1/gitcanary-<command>.1.gz per command (its usage, description
# and every option), OUTDIR/bash/gitcanary and OUTDIR/zsh/_gitcanary.
# The commands are the lines under "commands:" of `gitcanary --help`; the
# options of a command are the lines of `gitcanary <command> --help` that
# start with a dash. CMake runs it after every link of gitcanary
# (cmake/GcInstall.cmake); tests/install/check-cli-files.sh checks the result.
set -euo pipefail

bin=$1
out=$2
# an ASan build of the binary is run here too: its leak report on exit is
# no part of --help
export ASAN_OPTIONS=detect_leaks=0 LC_ALL=C

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$("$bin" --version)
version=${version#gitcanary }
version=${version%% *}
# man's date field: SOURCE_DATE_EPOCH when set (reproducible builds), else
# left out
date=
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
fi

"$bin" --help >"$tmp/main.help"
# "  validate   check manifests; ..." -> "validate<TAB>check manifests; ..."
awk '/^commands:/ { on = 1; next }
	on && /^  [a-z]/ {
		name = $1
		desc = $0
		sub(/^  [a-z-]+ +/, "", desc)
		printf "%s\t%s\n", name, desc
	}
	on && /^$/ && n++ { on = 0 }' "$tmp/main.help" >"$tmp/commands"
if [ ! -s "$tmp/commands" ]; then
	echo "gen-cli-files: no commands in '$bin --help'" >&2
	exit 1
fi

# parse FILE: one record per line of a command's --help, fields split by TAB:
#   U  a usage line (without "usage: ")
#   P  a line of the description ("" between paragraphs)
#   O  short, long, argument, repeatable (0/1), description (one line)
#   C  an option as the usage line spells it, its values ("text markdown")
#      from "--format text|markdown"
# An option line starts with -x or --x after at most 8 spaces; its description
# starts at the column most option lines of the command use (a few specs
# fill their column and leave a single space before it), and lines indented
# past that continue it.
parse() {
	awk '
	function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
	# "-x" or "--x" after at most 8 spaces (mawk has no {m,n}); not a
	# "- " list item
	function optline(s) { return match(s, /^ +--?[A-Za-z0-9]/) && RLENGTH <= 11 }
	function gap(s) {
		# column (1-based) after the first run of 2+ spaces past the spec
		if (match(s, /^ *-[^ ]*( [^ ]+)*  +/))
			return RLENGTH + 1
		return 0
	}
	{ line[NR] = $0 }
	optline($0) { c = gap($0); if (c) count[c]++ }
	END {
		best = 0
		for (c in count)
			if (count[c] > count[best] || (count[c] == count[best] && c + 0 < best + 0))
				best = c + 0
		state = "usage"
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (state == "usage") {
				if (l ~ /^usage: /) { sub(/^usage: /, "", l); usage = usage l; print "U\t" l; continue }
				if (l ~ /^ +[^ ]/ && usage != "") { usage = usage " " trim(l); print "U\t" trim(l); continue }
				state = "text"
			}
			if (optline(l)) {
				flush()
				state = "opts"
				c = (best && length(l) >= best && substr(l, best - 1, 1) == " " && substr(l, best, 1) != " ") ? best : gap(l)
				if (c) { spec = trim(substr(l, 1, c - 1)); desc = trim(substr(l, c)) }
				else { spec = trim(l); desc = "" }
				short = ""; long = ""; arg = ""
				if (match(spec, /^-[A-Za-z0-9]/)) {
					short = substr(spec, 2, 1)
					spec = substr(spec, 3); sub(/^, */, "", spec)
				}
				if (match(spec, /^--[A-Za-z0-9][A-Za-z0-9-]*/)) {
					long = substr(spec, 3, RLENGTH - 2)
					spec = substr(spec, RLENGTH + 1)
				}
				arg = trim(spec)
				pending = 1
				continue
			}
			if (state == "opts") {
				if (l ~ /^ +[^ ]/ && pending) { desc = desc " " trim(l); continue }
				flush()
				continue
			}
			# the description between the usage and the options
			if (l == "") { blank = started; continue }
			if (blank) print "P\t"
			started = 1; blank = 0
			print "P\t" l
		}
		flush()
		# a positional argument: an upper-case word right after the command
		if (split(usage, w, " ") >= 3 && w[3] ~ /^[A-Z][A-Z\/_]*$/)
			print "A\t" w[3]
		# "-o wide|yaml|json", "--format text|markdown" in the usage
		u = usage
		while (match(u, /-[-A-Za-z0-9]+ [a-z]+(\|[a-z]+)+/)) {
			m = substr(u, RSTART, RLENGTH)
			u = substr(u, RSTART + RLENGTH)
			split(m, parts, " ")
			vals = parts[2]; gsub(/\|/, " ", vals)
			print "C\t" parts[1] "\t" vals
		}
	}
	function flush() {
		if (!pending) return
		rep = desc ~ /repeatable/ ? 1 : 0
		if (long == "verbose") rep = 1
		print "O\t" short "\t" long "\t" arg "\t" rep "\t" desc
		pending = 0
	}' "$1"
}

mkdir -p "$out/man1" "$out/bash" "$out/zsh"
cut -f1 "$tmp/commands" >"$tmp/verbs"
while IFS= read -r verb; do
	"$bin" "$verb" --help >"$tmp/$verb.help"
	parse "$tmp/$verb.help" >"$tmp/$verb.rec"
	# every command takes -h/--help (gc_cli_parse) without listing it
	if ! awk -F'\t' '$1 == "O" && $3 == "help" { f = 1 } END { exit !f }' "$tmp/$verb.rec"; then
		printf 'O\th\thelp\t\t0\tprint this help on stdout and exit 0\n' >>"$tmp/$verb.rec"
	fi
done <"$tmp/verbs"

# roff: backslashes, dashes (so that options copy as typed) and a leading
# dot or quote
roff() {
	sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e 's/`/\\(ga/g' \
		-e "s/^\\([.']\\)/\\\\\\&\\1/"
}

manpage() { # NAME: the header of the page NAME(1)
	local name=$1 upper
	upper=$(printf '%s' "$name" | tr a-z A-Z)
	printf '.\\" Generated by scripts/gen-cli-files.sh from `gitcanary --help`; do not edit.\n'
	printf '.TH %s 1 "%s" "gitcanary %s" "User Commands"\n' "$upper" "$date" "$version"
	printf '.nh\n.ad l\n'
}

# gitcanary(1): the commands
{
	manpage gitcanary
	printf '.SH NAME\ngitcanary \\- progressive delivery (canary, A/B, blue/green) through git\n'
	printf '.SH SYNOPSIS\n.B gitcanary\n.I command\n.RI [ options ]\n.br\n'
	printf '.B gitcanary \\-\\-version\n.br\n.B gitcanary \\-\\-help\n'
	printf '.SH DESCRIPTION\n'
	printf 'gitcanary reads Flagger\\(aqs Canary manifests and the Deployments they target from a git\n'
	printf 'repository and runs each release by committing fully rendered manifests to a deploy\n'
	printf 'branch that a GitOps agent (Flux, Argo CD) applies. Every command has its own page,\n'
	printf '.BR gitcanary\\-\\fIcommand\\fP (1),\n'
	printf 'and prints its options with\n.BR "gitcanary \\fIcommand\\fP \\-\\-help" .\n'
	printf '.SH COMMANDS\n'
	while IFS=$'\t' read -r verb desc; do
		printf '.TP\n.B %s\n%s\n(\\fBgitcanary\\-%s\\fR(1))\n' "$verb" \
			"$(printf '%s' "$desc" | roff)" "$verb"
	done <"$tmp/commands"
	printf '.SH OPTIONS\n.TP\n.B \\-\\-help\nprint the commands and exit 0\n'
	printf '.TP\n.B \\-\\-version\nprint "gitcanary VERSION" and exit 0\n'
	printf '.SH EXIT STATUS\n0 success, 1 failure or invalid input, 2 usage error.\n'
	printf 'Errors go to stderr, data to stdout.\n'
	printf '.SH SEE ALSO\n'
	sed 's/^\([^\t]*\)\t.*/.BR gitcanary\\-\1 (1),/' "$tmp/commands"
	printf '.BR git (1)\n'
} >"$tmp/gitcanary.1"

# gitcanary-<command>(1)
while IFS=$'\t' read -r verb desc; do
	rec=$tmp/$verb.rec
	{
		manpage "gitcanary-$verb"
		printf '.SH NAME\ngitcanary\\-%s \\- %s\n' "$verb" "$(printf '%s' "$desc" | roff)"
		printf '.SH SYNOPSIS\n.nf\n'
		awk -F'\t' '$1 == "U" { print $2 }' "$rec" | roff
		printf '.fi\n'
		if awk -F'\t' '$1 == "P" && $2 != "" { f = 1 } END { exit !f }' "$rec"; then
			printf '.SH DESCRIPTION\n'
			awk -F'\t' '$1 == "P" { print ($2 == "" ? ".PP" : $2) }' "$rec" |
				roff | sed 's/^\\&\.PP$/.PP/; s/^\.PP$/.PP/'
		fi
		if grep -q '^O' "$rec"; then
			printf '.SH OPTIONS\n'
			awk -F'\t' '$1 == "O" {
				printf ".TP\n"
				s = ""
				if ($2 != "") s = "\\fB-" $2 "\\fR"
				if ($3 != "") s = s (s == "" ? "" : ", ") "\\fB--" $3 "\\fR"
				if ($4 != "") s = s " \\fI" $4 "\\fR"
				print s
				print $6
			}' "$rec" | sed -e 's/\\/\\e/g' -e 's/\\e\(f[BIR]\)/\\\1/g' -e 's/-/\\-/g' -e 's/`/\\(ga/g' \
				-e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/^\\&\.TP$/.TP/'
		fi
		printf '.SH SEE ALSO\n.BR gitcanary (1)\n'
	} >"$tmp/gitcanary-$verb.1"
done <"$tmp/commands"

for f in "$tmp"/*.1; do
	gzip -9n <"$f" >"$out/man1/$(basename "$f").gz"
done

# bash: `complete -F _gitcanary gitcanary`. Values: DIR a directory, FILE
# or PATH a file, "a|b" of the usage one of those words, else nothing.
{
	printf '# bash completion for gitcanary %s\n' "$version"
	printf '# Generated by scripts/gen-cli-files.sh from `gitcanary --help`; do not edit.\n'
	printf '_gitcanary()\n{\n'
	printf '\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= i=$((COMP_CWORD - 1))\n'
	printf '\t# COMP_WORDBREAKS splits --opt=value into --opt, =, value\n'
	printf '\tif [ "$cur" = = ]; then\n\t\tcur=\n\t\ti=$COMP_CWORD\n\tfi\n'
	printf '\t[ $i -gt 0 ] && prev=${COMP_WORDS[i]}\n'
	printf '\tif [ "$prev" = = ] && [ $i -gt 1 ]; then\n\t\tprev=${COMP_WORDS[i - 1]}\n\tfi\n'
	printf '\tCOMPREPLY=()\n'
	printf '\tif [ "$COMP_CWORD" -eq 1 ]; then\n'
	printf "\t\tCOMPREPLY=(\$(compgen -W '%s --help --version' -- \"\$cur\"))\n" \
		"$(tr '\n' ' ' <"$tmp/verbs" | sed 's/ $//')"
	printf '\t\treturn 0\n\tfi\n'
	printf '\tlocal opts=\n'
	printf '\tcase ${COMP_WORDS[1]} in\n'
	while IFS= read -r verb; do
		rec=$tmp/$verb.rec
		printf '\t%s)\n' "$verb"
		printf "\t\topts='%s'\n" "$(awk -F'\t' '$1 == "O" {
			s = s ($2 != "" ? " -" $2 : "") ($3 != "" ? " --" $3 : "") }
			END { print substr(s, 2) }' "$rec")"
		printf '\t\tcase $prev in\n'
		awk -F'\t' '
		NR == FNR { if ($1 == "C") vals[$2] = $3; next }
		$1 == "O" && $4 != "" {
			pat = ""
			if ($2 != "") pat = "-" $2
			if ($3 != "") pat = pat (pat == "" ? "" : "|") "--" $3
			v = ""
			if (("-" $2) in vals) v = vals["-" $2]
			if (("--" $3) in vals) v = vals["--" $3]
			if (v != "")
				act = "COMPREPLY=($(compgen -W \047" v "\047 -- \"$cur\"))"
			else if ($4 ~ /DIR$/)
				act = "COMPREPLY=($(compgen -d -- \"$cur\"))"
			else if ($4 ~ /^(FILE|PATH)/)
				act = "COMPREPLY=($(compgen -f -- \"$cur\"))"
			else
				act = ""
			if (!(act in pats)) { n++; order[n] = act; pats[act] = pat }
			else pats[act] = pats[act] "|" pat
		}
		END {
			for (i = 1; i <= n; i++) {
				printf "\t\t%s)\n", pats[order[i]]
				if (order[i] != "") printf "\t\t\t%s\n", order[i]
				printf "\t\t\treturn 0\n\t\t\t;;\n"
			}
		}' "$rec" "$rec"
		printf '\t\tesac\n\t\t;;\n'
	done <"$tmp/verbs"
	printf '\t*)\n\t\treturn 0\n\t\t;;\n\tesac\n'
	printf '\tCOMPREPLY=($(compgen -W "$opts" -- "$cur"))\n'
	printf '\treturn 0\n}\ncomplete -F _gitcanary gitcanary\n'
} >"$out/bash/gitcanary"

# zsh: _arguments specs, one per option, in the same way
zq() { # a zsh single-quoted word's content; [ ] : escaped for _arguments
	sed -e "s/'/'\\\\''/g" -e 's/\[/\\[/g' -e 's/\]/\\]/g' -e 's/:/\\:/g'
}
{
	printf '#compdef gitcanary\n'
	printf '# zsh completion for gitcanary %s\n' "$version"
	printf '# Generated by scripts/gen-cli-files.sh from `gitcanary --help`; do not edit.\n'
	printf '_gitcanary() {\n'
	printf '\tlocal -a commands\n\tcommands=(\n'
	while IFS=$'\t' read -r verb desc; do
		printf "\t\t'%s:%s'\n" "$verb" "$(printf '%s' "$desc" | zq)"
	done <"$tmp/commands"
	printf '\t)\n'
	printf '\tif (( CURRENT == 2 )); then\n'
	printf "\t\t_describe -t commands 'gitcanary command' commands\n"
	printf "\t\t[[ \$PREFIX == -* ]] && compadd -- --help --version\n"
	printf '\t\treturn\n\tfi\n'
	printf '\tlocal verb=$words[2]\n\tshift words\n\t(( CURRENT-- ))\n'
	printf '\tcase $verb in\n'
	while IFS= read -r verb; do
		rec=$tmp/$verb.rec
		printf '\t%s)\n\t\t_arguments -s -S' "$verb"
		awk -F'\t' '
		function esc(t) { gsub(/\047/, q "\\" q q, t); return t }
		function expl(t) { gsub(/\[/, "\\[", t); gsub(/\]/, "\\]", t); return esc(t) }
		function msg(t) { gsub(/"/, "", t); gsub(/:/, "\\:", t); return esc(tolower(t)) }
		BEGIN { q = "\047" }
		NR == FNR { if ($1 == "C") vals[$2] = $3; next }
		$1 == "O" {
			v = ""
			if (("-" $2) in vals) v = vals["-" $2]
			if (("--" $3) in vals) v = vals["--" $3]
			if ($4 == "") act = ""
			else if (v != "") act = ":" msg($4) ":(" v ")"
			else if ($4 ~ /DIR$/) act = ":directory:_files -/"
			else if ($4 ~ /^(FILE|PATH)/) act = ":file:_files"
			else act = ":" msg($4) ": "
			star = $5 == 1 ? "*" : ""
			if ($2 != "" && $3 != "") {
				# both names: {-n+,--namespace=} expands to two specs
				pre = star == "" ? "(-" $2 " --" $3 ")" : "*"
				if ($4 != "") names = "{-" $2 "+,--" $3 "=}"
				else names = "{-" $2 ",--" $3 "}"
				spec = q pre q names q
			} else {
				name = $3 != "" ? "--" $3 ($4 != "" ? "=" : "") : "-" $2 ($4 != "" ? "+" : "")
				spec = q star name
			}
			printf " \\\n\t\t\t%s[%s]%s%s", spec, expl($6), act, q
		}' "$rec" "$rec"
		awk -F'\t' '$1 == "A" { printf " \\\n\t\t\t\0471:%s: \047", $2 }' "$rec"
		printf '\n\t\t;;\n'
	done <"$tmp/verbs"
	printf '\tesac\n}\n'
	printf '_gitcanary "$@"\n'
} >"$out/zsh/_gitcanary"
