# zsh -f zsh-complete.zsh DIR: types command lines into an interactive zsh
# (zpty) whose fpath has DIR/_gitcanary, presses TAB, then ^T, bound to show
# the edited line as <<line>>, and waits for what the completion must give;
# the caller's timeout ends a wait that never matches.
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "unset zle_bracketed_paste; PS1='> '; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D; gitcanary() { :; }; showbuf() { zle -M \"<<\$BUFFER>>\" }; zle -N showbuf; bindkey '^T' showbuf"
# each: what to type (^U first clears the line), what must appear
cases=(
	$'gitcanary run --po\t\x14' '*<<gitcanary run --poll=>>*'
	$'\x15gitcanary desc\t\x14' '*<<gitcanary describe >>*'
	$'\x15gitcanary validate --flux\t\x14' '*<<gitcanary validate --flux-source=>>*'
	$'\x15gitcanary get -o \t' '*json  wide  yaml*'
	$'\x15gitcanary describe --output=\t' '*json  yaml*'
)
for typed want in $cases; do
	print -r -- "zsh: waiting for '$want' after typing ${(q)typed}"
	zpty -w -n z "$typed"
	zpty -r z out "$want" || exit 1
done
zpty -d z
