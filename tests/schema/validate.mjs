#!/usr/bin/env node
// Validates every document of the given YAML files against the upstream
// Kubernetes (kubernetes-models), Istio (@kubernetes-models/istio) and
// Prometheus Operator (@kubernetes-models/prometheus-operator, for deploy/'s
// ServiceMonitor) JSON schemas. Prints "<file>#<n> <kind>/<name>: <problem>"
// per failure and exits 1 if any document fails or has an apiVersion/kind
// this script does not know.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as coreV1 from "kubernetes-models/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as istioV1beta1 from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import * as monitoringV1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = {
  "apps/v1": appsV1,
  "v1": coreV1,
  "autoscaling/v2": autoscalingV2,
  "networking.istio.io/v1beta1": istioV1beta1,
  "monitoring.coreos.com/v1": monitoringV1,
};

let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  docs.forEach((doc, i) => {
    const where = `${file}#${i + 1}`;
    if (doc.errors.length) {
      console.log(`${where}: YAML: ${doc.errors[0].message}`);
      failed++;
      return;
    }
    const obj = doc.toJS();
    if (obj === null) return;
    const id = `${obj.kind}/${obj.metadata?.name}`;
    const Model = models[obj.apiVersion]?.[obj.kind];
    if (!Model) {
      console.log(`${where} ${id}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failed++;
      return;
    }
    try {
      new Model(obj).validate();
      checked++;
    } catch (e) {
      console.log(`${where} ${id}: ${e.message}`);
      failed++;
    }
  });
}
console.log(`${checked} documents valid, ${failed} invalid`);
process.exit(failed ? 1 : 0);
