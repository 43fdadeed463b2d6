#!/usr/bin/env bash
# Runs gitcanary.service of a .deb under a real systemd, with every hardening
# option of the unit in force: boots this machine's own root file system in
# a container (systemd-nspawn over an overlay whose changes live in a tmpfs
# and vanish; its own network namespace), installs the .deb there, points
# the service at a repository over ssh:// (the container's sshd on
# 127.0.0.1, a deploy key and known_hosts in the service's home), and waits
# for the first deploy commit. With kubectl or kustomize on PATH the
# repository is examples/flux, whose production overlay runs kustomize as a
# subprocess inside the sandbox; else examples/podinfo.
#
#   scripts/test-service.sh DEB     (as root; scripts/test-package.sh runs it)
#
# The machine's PID 1 need not be systemd (CI's is not): the container's is.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "$1")
machine=gitcanary-test-$$
work=$(mktemp -d /var/tmp/gitcanary-service-XXXXXX)
root=$work/root
nspawn=
leader=
repo=

cleanup() {
	local rc=$?
	if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then
		nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
		for _ in $(seq 1 30); do
			kill -0 "$nspawn" 2>/dev/null || break
			sleep 1
		done
	fi
	if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
		kill "$nspawn" 2>/dev/null || true
		sleep 2
	fi
	mountpoint -q "$root" && umount "$root"
	mountpoint -q "$work" && umount "$work"
	rm -rf "$work" "$repo" "/run/systemd/nspawn/propagate/$machine"
	if [ "$rc" = 0 ]; then
		rm -f "$log"
	else
		echo "test-service: failed (the container's console: $log)" >&2
	fi
	exit "$rc"
}
log=/var/tmp/gitcanary-service-$$.log
trap cleanup EXIT

inside() { nsenter -t "$leader" -a "$@"; }

# the repository, made here and copied in (the overlay shows this tree)
example=examples/podinfo
if command -v kustomize >/dev/null 2>&1 || command -v kubectl >/dev/null 2>&1; then
	example=examples/flux
fi
repo=$(mktemp -d /var/tmp/gitcanary-service-repo-XXXXXX)
git init -q --bare -b main "$repo/repo.git"
git init -q -b main "$repo/src"
cp -r "$example/." "$repo/src/"
git -C "$repo/src" add -A
git -C "$repo/src" -c user.name=test -c user.email=test@localhost commit -qm "$example"
git -C "$repo/src" push -q "$repo/repo.git" main
cp "$deb" "$repo/"

mount -t tmpfs -o size=2g tmpfs "$work"
mkdir "$work/upper" "$work/work" "$root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$root"
systemd-nspawn -D "$root" --private-network --register=no --keep-unit \
	--machine="$machine" -b >"$log" 2>&1 </dev/null &
nspawn=$!
# the container's PID 1: the systemd that nspawn started
for _ in $(seq 1 60); do
	leader=$(pgrep -P "$nspawn" -x systemd | head -1 || true)
	[ -n "$leader" ] && break
	sleep 1
done
[ -n "$leader" ] || { echo "test-service: the container did not boot" >&2; exit 1; }
# "running", or "degraded" when a unit of this machine fails in a container
state=$(timeout 120 nsenter -t "$leader" -a systemctl is-system-running --wait 2>/dev/null || true)
echo "test-service: container booted ($state)"

inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$repo/$(basename "$deb")" >/dev/null
inside cp -a "$repo/repo.git" /srv/gitcanary-test.git
inside install -d -m 700 /root/.ssh
inside install -d -o gitcanary -g gitcanary -m 700 /var/lib/gitcanary/.ssh
inside runuser -u gitcanary -- ssh-keygen -q -t ed25519 -N "" -f /var/lib/gitcanary/.ssh/id_ed25519
inside sh -c 'cat /var/lib/gitcanary/.ssh/id_ed25519.pub >>/root/.ssh/authorized_keys'
inside systemctl start ssh
inside sh -c 'ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null >/var/lib/gitcanary/.ssh/known_hosts'
inside sed -i 's|^GITCANARY_ARGS=.*|GITCANARY_ARGS="--repo ssh://root@127.0.0.1/srv/gitcanary-test.git --ssh-key /var/lib/gitcanary/.ssh/id_ed25519 --assume-ready --poll 1s --min-interval 1s"|' \
	/etc/default/gitcanary
inside systemctl enable --now gitcanary.service >/dev/null 2>&1

fail=0
bad() {
	echo "FAIL: $*" >&2
	fail=1
}
subject=
for _ in $(seq 1 60); do
	subject=$(inside git --git-dir=/srv/gitcanary-test.git log -1 --format=%s deploy 2>/dev/null || true)
	[ -n "$subject" ] && break
	sleep 1
done
[ "$subject" = "Initialization done! podinfo.test" ] ||
	bad "no deploy commit from the service: $(inside journalctl -u gitcanary --no-pager -n 20 2>&1)"
if [ "$example" = examples/flux ]; then
	# the production overlay's patch: only kustomize applies it
	inside git --git-dir=/srv/gitcanary-test.git show deploy:test/_/horizontalpodautoscaler-podinfo.yaml |
		grep -q 'maxReplicas: 6' || bad "the overlay was not built by kustomize"
fi
[ "$(inside ps -o user= -C gitcanary)" = gitcanary ] || bad "the service does not run as gitcanary"
[ "$(inside systemctl show -P NoNewPrivileges gitcanary)" = yes ] || bad "NoNewPrivileges is off"
[ "$(inside stat -c %U /var/cache/gitcanary)" = gitcanary ] || bad "no /var/cache/gitcanary"
inside systemctl stop gitcanary.service
[ "$(inside systemctl show -P Result gitcanary)" = success ] || bad "the service did not stop cleanly"
[ "$fail" = 0 ] && echo "test-service: ok ($example over ssh:// under gitcanary.service: $subject)"
exit $fail
