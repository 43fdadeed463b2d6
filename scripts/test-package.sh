#!/usr/bin/env bash
# Builds the .deb in build/ (configured for /usr), installs it with apt-get
# and checks what a user gets: /usr/bin/gitcanary --version, the man page,
# the completions, the system user, a unit that `systemd-analyze verify`
# accepts without a word (it needs no running systemd), the service at work
# under systemd in a container (scripts/test-service.sh), and that remove
# keeps the user's data and purge deletes it. Run as root; it installs and
# removes the package `gitcanary` on this machine (refused when a gitcanary
# not made by this script is installed). `.ci/run` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "test-package: run as root (it installs the .deb)" >&2
	exit 1
fi
./scripts/setup.sh

fail=0
bad() {
	echo "FAIL: $*" >&2
	fail=1
}
installed() { dpkg-query -W -f='${Status}' gitcanary 2>/dev/null | grep -q 'ok installed'; }
if installed && [ "$(dpkg-query -W -f='${Maintainer}' gitcanary)" != \
	"gitcanary maintainers <gitcanary@localhost>" ]; then
	echo "test-package: a gitcanary package of someone else is installed" >&2
	exit 1
fi

# the .deb's paths are those of the configure-time prefix: /usr for the
# package, then back to what build/ had
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' build/CMakeCache.txt 2>/dev/null || true)
restore() {
	cmake -S . -B build -DCMAKE_INSTALL_PREFIX="${prefix:-/usr/local}" >/dev/null || true
}
trap restore EXIT
cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build -j"$(nproc)" --target gitcanary gc_cli_files
rm -f build/gitcanary_*.deb
(cd build && cpack -G DEB >/dev/null)
deb=$(ls build/gitcanary_*.deb)
echo "test-package: $deb"
dpkg-deb -f "$deb" Package Version Depends Recommends Suggests

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "./$deb" >/dev/null

# what the package installed
[ "$(command -v gitcanary)" = /usr/bin/gitcanary ] || bad "gitcanary is not /usr/bin/gitcanary"
got=$(/usr/bin/gitcanary --version)
want="gitcanary $(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')"
[ "${got%% (*}" = "$want" ] || bad "--version says '$got', not '$want'"
[ "$(man -w gitcanary)" = /usr/share/man/man1/gitcanary.1.gz ] || bad "man -w gitcanary: $(man -w gitcanary 2>&1)"
[ "$(man -w gitcanary-run)" = /usr/share/man/man1/gitcanary-run.1.gz ] || bad "man -w gitcanary-run"
MANWIDTH=200 man gitcanary-run 2>/dev/null | grep -q -- '--poll' || bad "man gitcanary-run shows no --poll"
for f in /usr/share/bash-completion/completions/gitcanary \
	/usr/share/zsh/vendor-completions/_gitcanary /etc/default/gitcanary; do
	[ -f "$f" ] || bad "$f missing"
done
grep -qx /etc/default/gitcanary /var/lib/dpkg/info/gitcanary.conffiles || bad "/etc/default/gitcanary is no conffile"
unit=/lib/systemd/system/gitcanary.service
[ -f "$unit" ] || bad "$unit missing"
out=$(systemd-analyze verify "$unit" 2>&1) || bad "systemd-analyze verify failed"
[ -z "$out" ] || bad "systemd-analyze verify says: $out"
echo "test-package: $(systemd-analyze security --offline=yes "$unit" 2>/dev/null | grep -o 'Overall exposure level.*')"
getent passwd gitcanary | grep -q ':/var/lib/gitcanary:/usr/sbin/nologin$' || bad "no system user gitcanary"
[ "$(stat -c %U /var/lib/gitcanary)" = gitcanary ] || bad "/var/lib/gitcanary is not gitcanary's"

# the service under a real systemd, in a container booted from this machine
./scripts/test-service.sh "$deb" || bad "gitcanary.service does not work (scripts/test-service.sh)"

# remove: the binary goes, the user, its home and the conffile stay
touch /var/lib/gitcanary/known_hosts-kept
apt-get remove -y -qq gitcanary >/dev/null
[ ! -e /usr/bin/gitcanary ] || bad "remove left /usr/bin/gitcanary"
[ ! -e "$unit" ] || bad "remove left $unit"
getent passwd gitcanary >/dev/null || bad "remove deleted the user"
[ -e /var/lib/gitcanary/known_hosts-kept ] || bad "remove deleted /var/lib/gitcanary"
[ -e /etc/default/gitcanary ] || bad "remove deleted the conffile"

# purge: the rest goes too
apt-get purge -y -qq gitcanary >/dev/null
! installed || bad "gitcanary still installed after purge"
[ ! -e /etc/default/gitcanary ] || bad "purge left /etc/default/gitcanary"
[ ! -e /var/lib/gitcanary ] || bad "purge left /var/lib/gitcanary"
! getent passwd gitcanary >/dev/null || bad "purge left the user gitcanary"
! getent group gitcanary >/dev/null || bad "purge left the group gitcanary"

[ "$fail" = 0 ] && echo "test-package: ok"
exit $fail
