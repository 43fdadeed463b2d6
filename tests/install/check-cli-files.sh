#!/usr/bin/env bash
# install.cli_files: `cmake --install` of BUILD (into a DESTDIR) puts the
# binary, the man pages and both completions in their GNUInstallDirs places,
# and every option of every command's --help is in the command's man page
# and in both completions; bash completion completes them.
#
#   check-cli-files.sh BUILD PREFIX BINDIR MANDIR DATADIR
set -euo pipefail
build=$1 prefix=$2 bindir=$3 mandir=$4 datadir=$5
export ASAN_OPTIONS=detect_leaks=0 LC_ALL=C

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail=0
bad() {
	echo "FAIL: $*" >&2
	fail=1
}

DESTDIR=$dest cmake --install "$build" >/dev/null
root=$dest$prefix
bin=$root/$bindir/gitcanary
man1=$root/$mandir/man1
bashc=$root/$datadir/bash-completion/completions/gitcanary
zshc=$root/$datadir/zsh/vendor-completions/_gitcanary
for f in "$bin" "$man1/gitcanary.1.gz" "$bashc" "$zshc"; do
	[ -f "$f" ] || { echo "FAIL: cmake --install did not write $f" >&2; exit 1; }
done

# the commands as `gitcanary --help` lists them
verbs=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$verbs" ] || bad "no commands in gitcanary --help"

page() { MANWIDTH=400 man --nh --nj -l "$1" 2>/dev/null | col -b; }
has() { # has WORD TEXT: WORD as a whole option in TEXT
	grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" <<<"$2"
}
# the completions of a command line, as bash would offer them
complete_bash() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_gitcanary; printf "%s\n" "${COMPREPLY[@]}"' _ "$bashc" "$@"
}

main=$(page "$man1/gitcanary.1.gz")
bashtext=$(cat "$bashc")
zshtext=$(cat "$zshc")
nflags=0
for verb in $verbs; do
	has "$verb" "$main" || bad "gitcanary(1) does not list '$verb'"
	[ -f "$man1/gitcanary-$verb.1.gz" ] || { bad "no gitcanary-$verb(1)"; continue; }
	text=$(page "$man1/gitcanary-$verb.1.gz")
	# every option a line of --help starts with: "-n, --namespace NS", "--poll D"
	flags=$("$bin" "$verb" --help |
		grep -oE '^ +(-[A-Za-z0-9], )?--[A-Za-z0-9][A-Za-z0-9-]*' |
		grep -oE -- '--?[A-Za-z0-9][A-Za-z0-9-]*' || true)
	flags="$flags --help"
	for flag in $flags; do
		nflags=$((nflags + 1))
		has "$flag" "$text" || bad "gitcanary-$verb(1) lacks $flag"
		has "$flag" "$bashtext" || bad "bash completion lacks $flag"
		has "$flag" "$zshtext" || bad "zsh completion lacks $flag"
		case $flag in
		--*)
			got=$(complete_bash gitcanary "$verb" "$flag")
			grep -qxF -- "$flag" <<<"$got" ||
				bad "bash: 'gitcanary $verb $flag<TAB>' offers '$got'"
			;;
		esac
	done
done
[ "$nflags" -gt 50 ] || bad "only $nflags options found in the --help of every command"

# what a user types
expect() { # expect WANT WORDS...: the completions of WORDS are exactly WANT
	local want=$1 got
	shift
	got=$(complete_bash "$@" | sort | paste -sd' ')
	[ "$got" = "$want" ] || bad "bash: '$*<TAB>' offers '$got', not '$want'"
}
expect "--poll" gitcanary run --po
expect "reconcile render" gitcanary re
expect "--version" gitcanary --vers
expect "json wide yaml" gitcanary get -o ""
expect "json yaml" gitcanary describe --output ""
expect "markdown" gitcanary plan --format m
expect "--deploy-branch" gitcanary get --depl
expect "" gitcanary run --poll ""
# --output=y: bash splits it at = (COMP_WORDBREAKS)
expect "json yaml" gitcanary describe --output =
expect "yaml" gitcanary describe --output = y
mkdir "$dest/roots" "$dest/roots/apps"
touch "$dest/roots/apple"
expect "$dest/roots/apps" gitcanary validate --dir "$dest/roots/ap"
expect "$dest/roots/apple $dest/roots/apps" gitcanary run --ssh-key "$dest/roots/ap"

# zsh completes the same in an interactive shell (zsh is in setup.sh)
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$zshc" || bad "zsh completion: syntax error"
	timeout 60 zsh -f "$(dirname "$0")/zsh-complete.zsh" "$(dirname "$zshc")" >"$dest/zsh.log" 2>&1 ||
		bad "zsh completion: $(tail -1 "$dest/zsh.log")"
else
	bad "zsh is not installed (scripts/setup.sh installs it)"
fi
[ "$fail" = 0 ] && echo "ok: $nflags options of $(wc -w <<<"$verbs") commands in man pages and completions"
exit $fail
