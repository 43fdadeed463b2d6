#!/usr/bin/env bash
# The image test: builds the image with deploy/image/build.sh from a .deb and
# runs what it holds.
#
#   deploy/image/test.sh [DEB]   default: build/gitcanary_*.deb, else made
#                                with `cpack -G DEB` in build/
#
# Runs as root, with Debian's mirror reachable (no other network); takes
# two to four minutes, most of it mmdebstrap. The image is unpacked with
# `umoci unpack` and run in a chroot of its root file system as the image's
# user: no container runtime runs it on the project's machines (no docker
# daemon; podman and `buildah run` with crun fail: "cgroups in hybrid mode not
# supported", "setrlimit RLIMIT_NOFILE: Operation not permitted"). When
# buildah is installed, the OCI archive is also imported with `buildah from
# oci-archive:` into a throwaway store and run with `buildah run --isolation
# chroot`, which reads the image the way container tools do. Prints one line
# per check and "image: N passed, N failed".
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
uid=${GC_IMAGE_UID:-999}
passed=0
failed=0

ok() {
	echo "PASS $*"
	passed=$((passed + 1))
}
bad() {
	echo "FAIL $*"
	failed=$((failed + 1))
}
expect() { # what expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}

[ "$(id -u)" = 0 ] || {
	echo "image test: run as root (mmdebstrap's root mode, chroot)" >&2
	exit 1
}
if [ $# -ge 1 ]; then
	deb=$1
else
	shopt -s nullglob
	debs=("$src"/build/gitcanary_*.deb)
	if [ ${#debs[@]} -eq 0 ] && [ -f "$src/build/CPackConfig.cmake" ]; then
		(cd "$src/build" && cpack -G DEB >/dev/null)
		debs=("$src"/build/gitcanary_*.deb)
	fi
	shopt -u nullglob
	[ ${#debs[@]} -eq 1 ] || {
		echo "image test: found ${#debs[@]} build/gitcanary_*.deb; name one" >&2
		exit 1
	}
	deb=${debs[0]}
fi

tmp=$(mktemp -d)
cleanup() {
	if [ -n "${ctr:-}" ]; then
		buildah "${bargs[@]}" rm "$ctr" >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

GC_IMAGE_OUT=$tmp/out "$src/deploy/image/build.sh" "$deb" >"$tmp/build.log" 2>&1 || {
	tail -30 "$tmp/build.log"
	echo "image test: build.sh failed" >&2
	exit 1
}
tag=$(sed -n 's|^image: .*/oci:||p' "$tmp/build.log")
archive=$(sed -n 's|^image: archive \(.*\) (.*)$|\1|p' "$tmp/build.log")
echo "image: built $tag ($(du -h "$archive" | cut -f1) archive)"

# What the package's binary says outside the image: the reference.
dpkg-deb -x "$deb" "$tmp/deb"
want=$("$tmp/deb/usr/bin/gitcanary" --version)
version=$(dpkg-deb -f "$deb" Version)
version=${version#*:}
case $want in
"gitcanary ${version%-*}"*) ok "the package's gitcanary --version names $version" ;;
*) bad "the package's gitcanary --version: '$want' does not name $version" ;;
esac

umoci unpack --image "$tmp/out/oci:$tag" "$tmp/bundle" >/dev/null
root=$tmp/bundle/rootfs
conf=$(node -e '
const c = require(process.argv[1]).process;
console.log([c.user.uid, c.user.gid, c.args.join(" "), c.cwd,
  c.env.filter((e) => e.startsWith("HOME=")).join()].join("|"));
' "$tmp/bundle/config.json")
expect "image config: user, entrypoint and command, working directory, HOME" \
	"$uid|$uid|/usr/bin/gitcanary run|/var/lib/gitcanary|HOME=/var/lib/gitcanary" "$conf"
expect "the gitcanary user in the image's passwd" \
	"gitcanary:x:$uid:$uid:gitcanary:/var/lib/gitcanary:/usr/sbin/nologin" \
	"$(grep '^gitcanary:' "$root/etc/passwd" || true)"
if [ -s "$root/etc/ssl/certs/ca-certificates.crt" ]; then
	ok "CA certificates for https:// remotes and Prometheus"
else
	bad "no /etc/ssl/certs/ca-certificates.crt"
fi

suid=$(find "$root" -xdev -type f -perm /6000 | sed "s|^$root||")
expect "no setuid or setgid file in the image" "" "$suid"

in_image() {
	chroot --userspec="$uid:$uid" "$root" env -i PATH=/usr/bin:/bin HOME=/var/lib/gitcanary "$@"
}
expect "gitcanary --version in a chroot of the image, as uid $uid" "$want" \
	"$(in_image /usr/bin/gitcanary --version 2>&1 || true)"

# One real tick in the image: the podinfo example in a bare repository
# (file://), the deploy branch written and pushed by the image's gitcanary.
git init -q -b main "$tmp/src"
cp -r "$src/examples/podinfo/." "$tmp/src/"
git -C "$tmp/src" add -A
git -C "$tmp/src" -c user.name=test -c user.email=test@example.invalid commit -qm seed
mkdir -p "$root/tmp/t"
git clone -q --bare "$tmp/src" "$root/tmp/t/remote.git"
chown -R "$uid:$uid" "$root/tmp/t"
rc=0
commit=$(in_image /usr/bin/gitcanary reconcile --once --repo file:///tmp/t/remote.git \
	--assume-ready --cache-dir /tmp/t/cache 2>"$tmp/tick.err") || rc=$?
expect "gitcanary reconcile --once in the image exits 0" 0 "$rc"
expect "the tick's commit is the deploy branch's head, 'Initialization done! podinfo.test'" \
	"$commit Initialization done! podinfo.test" \
	"$(git -c safe.directory='*' -C "$root/tmp/t/remote.git" log -1 --format='%H %s' deploy 2>&1 || true)"

if command -v buildah >/dev/null 2>&1; then
	bargs=(--root "$tmp/storage" --runroot "$tmp/run" --storage-driver vfs)
	if ctr=$(buildah "${bargs[@]}" from --quiet "oci-archive:$archive" 2>"$tmp/buildah.err"); then
		expect "buildah run --isolation chroot of the OCI archive: gitcanary --version" "$want" \
			"$(buildah "${bargs[@]}" run --isolation chroot "$ctr" -- /usr/bin/gitcanary --version 2>&1 || true)"
		expect "buildah run: the image's user" "$uid" \
			"$(buildah "${bargs[@]}" run --isolation chroot "$ctr" -- id -u 2>&1 || true)"
	else
		bad "buildah from oci-archive:$archive: $(tail -1 "$tmp/buildah.err")"
	fi
else
	echo "image: buildah not installed; the OCI archive was not imported"
fi

echo "image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
