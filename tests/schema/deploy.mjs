#!/usr/bin/env node
// Checks what the upstream schemas cannot (they allow unknown fields and know
// nothing of references between objects) in the output of `kubectl kustomize
// deploy/` (first file), `kubectl kustomize deploy/sharded` (second file) and
// of an overlay of deploy/ as docs/operations.md shows one (third file):
// the workload kind and replicas, the arguments after the kubelet's $(VAR)
// expansion, the probes, the security context, that every volume, Secret,
// ConfigMap, ServiceAccount, port and Service selector a pod relies on is
// there, and that the ServiceMonitor scrapes each pod once. Prints one line
// per problem and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let problems = 0;
function check(ok, what) {
  if (!ok) {
    console.log(`FAIL ${what}`);
    problems++;
  }
}

function load(file) {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS())
    .filter((o) => o);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function selects(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

// The kubelet's expansion (k8s.io/kubernetes third_party/forked/golang/
// expansion): $(NAME) becomes the variable's value when the container defines
// it and stays as written otherwise; $$ is a literal $.
function expand(s, vars) {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) =>
    m === "$$" ? "$" : name in vars ? vars[name] : m,
  );
}

// The environment of container c in pod spec, with downward-API values
// from pod (its labels and name) and the ConfigMaps of objs.
function environment(c, objs, ns, pod) {
  const vars = {};
  for (const src of c.envFrom ?? []) {
    const name = src.configMapRef?.name;
    const cm = objs.find(
      (o) => o.kind === "ConfigMap" && o.metadata.name === name && o.metadata.namespace === ns,
    );
    check(cm, `envFrom ConfigMap ${name} exists in ${ns}`);
    Object.assign(vars, cm?.data ?? {});
  }
  for (const e of c.env ?? []) {
    if ("value" in e) vars[e.name] = expand(e.value, vars);
    const path = e.valueFrom?.fieldRef?.fieldPath;
    const label = path?.match(/^metadata\.labels\['(.*)'\]$/);
    if (label) vars[e.name] = pod.labels[label[1]];
    else if (path === "metadata.name") vars[e.name] = pod.name;
    else if (path) check(false, `env ${e.name}: unexpected fieldPath ${path}`);
  }
  return vars;
}

function checkWorkload(objs, kind, replicas, where) {
  const ns = "gitcanary";
  const workloads = objs.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
  check(
    workloads.length === 1 && workloads[0].kind === kind,
    `${where}: one ${kind} and no other workload (got ${workloads.map((o) => o.kind).join(", ")})`,
  );
  const w = workloads.find((o) => o.kind === kind);
  if (!w) return null;
  check(w.metadata.namespace === ns, `${where}: ${kind} in namespace ${ns}`);
  check(w.spec.replicas === replicas, `${where}: replicas ${replicas} (got ${w.spec.replicas})`);
  const tpl = w.spec.template;
  check(selects(w.spec.selector.matchLabels, tpl.metadata.labels), `${where}: selector matches the pod labels`);
  for (const o of objs) {
    if (!o.metadata.namespace && !["Namespace"].includes(o.kind))
      check(false, `${where}: ${o.kind}/${o.metadata.name} has no namespace`);
  }
  check(
    objs.some((o) => o.kind === "Namespace" && o.metadata.name === ns),
    `${where}: Namespace ${ns}`,
  );
  const spec = tpl.spec;
  check(
    objs.some((o) => o.kind === "ServiceAccount" && o.metadata.name === spec.serviceAccountName),
    `${where}: ServiceAccount ${spec.serviceAccountName} exists`,
  );
  check(spec.automountServiceAccountToken === false, `${where}: no service account token`);

  const psc = spec.securityContext ?? {};
  check(psc.runAsNonRoot === true, `${where}: pod runAsNonRoot`);
  // the uid of the image's gitcanary user (deploy/image/build.sh)
  check(
    psc.runAsUser === 999 && psc.runAsGroup === 999 && psc.fsGroup === 999,
    `${where}: pod runs as the image's uid and gid 999`,
  );
  check(psc.seccompProfile?.type === "RuntimeDefault", `${where}: pod seccomp RuntimeDefault`);

  check(spec.containers.length === 1, `${where}: one container`);
  const c = spec.containers[0];
  const sc = c.securityContext ?? {};
  check(sc.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem`);
  check(sc.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation false`);
  check(same(sc.capabilities?.drop, ["ALL"]), `${where}: capabilities drop ALL`);
  check(sc.seccompProfile?.type === "RuntimeDefault", `${where}: container seccomp RuntimeDefault`);
  check(c.resources?.requests?.memory && c.resources?.limits?.memory, `${where}: memory request and limit`);
  check(c.resources?.requests?.cpu, `${where}: cpu request`);

  const http = (c.ports ?? []).find((p) => p.name === "http");
  check(http?.containerPort === 8080, `${where}: container port http 8080`);
  check(
    c.livenessProbe?.httpGet?.path === "/healthz" && c.livenessProbe.httpGet.port === "http",
    `${where}: liveness /healthz on http`,
  );
  check(
    c.readinessProbe?.httpGet?.path === "/readyz" && c.readinessProbe.httpGet.port === "http",
    `${where}: readiness /readyz on http`,
  );

  // every mount has its volume; what gitcanary writes is an emptyDir
  const volumes = Object.fromEntries((spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
  for (const m of c.volumeMounts ?? [])
    check(volumes[m.name], `${where}: volume ${m.name} of ${m.mountPath} exists`);
  for (const dir of ["/tmp", "/var/cache/gitcanary"])
    check(volumes[mounts[dir]?.name]?.emptyDir, `${where}: ${dir} is an emptyDir`);
  check(
    volumes[mounts["/etc/gitcanary/git"]?.name]?.secret?.secretName === "gitcanary-git",
    `${where}: Secret gitcanary-git at /etc/gitcanary/git`,
  );
  check(
    volumes[mounts["/etc/gitcanary/webhook"]?.name]?.secret?.secretName === "gitcanary-webhook",
    `${where}: Secret gitcanary-webhook at /etc/gitcanary/webhook`,
  );
  return { w, c, spec, tpl };
}

// The arguments pod `index` runs with.
function argv(objs, found, index) {
  const pod = {
    name: `${found.w.metadata.name}-${index}`,
    labels: { ...found.tpl.metadata.labels, "apps.kubernetes.io/pod-index": String(index) },
  };
  const vars = environment(found.c, objs, found.w.metadata.namespace, pod);
  return {
    vars,
    args: [...(found.c.command ?? []), ...(found.c.args ?? [])].map((a) => expand(a, vars)),
  };
}

function option(args, name) {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function checkArgs(args, vars, where) {
  check(args[0] === "/usr/bin/gitcanary" && args[1] === "run", `${where}: runs gitcanary run`);
  check(!args.some((a) => a.includes("$(")), `${where}: every $(VAR) defined: ${args.join(" ")}`);
  check(/^(ssh|https):\/\//.test(option(args, "--repo") ?? ""), `${where}: --repo is an ssh:// or https:// URL`);
  check(option(args, "--ssh-key") === "/etc/gitcanary/git/identity", `${where}: --ssh-key from the Secret`);
  check(option(args, "--listen") === ":8080", `${where}: --listen :8080`);
  check(option(args, "--cache-dir") === "/var/cache/gitcanary", `${where}: --cache-dir`);
  check(option(args, "--webhook-secret-file") === "/etc/gitcanary/webhook/token", `${where}: --webhook-secret-file`);
  check(vars.HOME === "/var/lib/gitcanary", `${where}: HOME`);
}

// Each Service's selector picks the pods; the ServiceMonitor picks exactly
// one Service with a port http, so every pod is scraped once.
function checkServices(objs, found, where) {
  const services = objs.filter((o) => o.kind === "Service");
  for (const s of services)
    check(selects(s.spec.selector, found.tpl.metadata.labels), `${where}: Service ${s.metadata.name} selects the pods`);
  const sms = objs.filter((o) => o.kind === "ServiceMonitor");
  check(sms.length === 1, `${where}: one ServiceMonitor`);
  for (const sm of sms) {
    const picked = services.filter((s) => selects(sm.spec.selector.matchLabels, s.metadata.labels));
    check(picked.length === 1, `${where}: ServiceMonitor selects one Service (got ${picked.length})`);
    const ep = sm.spec.endpoints?.[0];
    check(ep?.path === "/metrics", `${where}: ServiceMonitor path /metrics`);
    check(
      picked[0]?.spec.ports.some((p) => p.name === ep?.port && p.targetPort === "http"),
      `${where}: ServiceMonitor port ${ep?.port} is the Service's http port`,
    );
  }
}

const [baseFile, shardedFile, overlayFile] = process.argv.slice(2);
const base = load(baseFile);
const b = checkWorkload(base, "Deployment", 1, "deploy/");
if (b) {
  check(b.w.spec.strategy?.type === "Recreate", "deploy/: Deployment strategy Recreate");
  const { args, vars } = argv(base, b, 0);
  checkArgs(args, vars, "deploy/");
  check(!args.includes("--shard"), "deploy/: no --shard");
  checkServices(base, b, "deploy/");
}

// docs/operations.md's overlay: its ConfigMap literals reach the arguments.
const overlay = load(overlayFile);
const o = checkWorkload(overlay, "Deployment", 1, "overlay");
if (o) {
  const { args, vars } = argv(overlay, o, 0);
  checkArgs(args, vars, "overlay");
  check(option(args, "--repo") === "ssh://git@git.example.com/org/fleet.git", `overlay: --repo from its GIT_URL`);
  check(
    option(args, "--metrics-server") === "http://prometheus-operated.monitoring:9090",
    `overlay: --metrics-server from its METRICS_SERVER`,
  );
  check(o.c.image === "registry.example.com/platform/gitcanary:0.1.1", `overlay: its image (got ${o.c.image})`);
}

const sharded = load(shardedFile);
const s = checkWorkload(sharded, "StatefulSet", 4, "deploy/sharded");
if (s) {
  const gov = sharded.find((o) => o.kind === "Service" && o.metadata.name === s.w.spec.serviceName);
  check(gov?.spec.clusterIP === "None", `deploy/sharded: headless Service ${s.w.spec.serviceName}`);
  check(s.w.spec.podManagementPolicy === "Parallel", "deploy/sharded: podManagementPolicy Parallel");
  for (let i = 0; i < s.w.spec.replicas; i++) {
    const { args, vars } = argv(sharded, s, i);
    checkArgs(args, vars, `deploy/sharded pod ${i}`);
    check(option(args, "--shard") === `${i}/4`, `deploy/sharded pod ${i}: --shard ${i}/4 (got ${option(args, "--shard")})`);
  }
  checkServices(sharded, s, "deploy/sharded");
}

// The base's other objects are in the sharded build unchanged.
for (const o of base.filter((o) => o.kind !== "Deployment")) {
  const t = sharded.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name);
  check(same(o, t), `deploy/sharded: ${o.kind}/${o.metadata.name} as in deploy/`);
}

console.log(`deploy: ${problems ? `${problems} problems` : "every check passed"}`);
process.exit(problems ? 1 : 0);
