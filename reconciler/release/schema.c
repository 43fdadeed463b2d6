/*
 * Flagger's CRD schemas (flagger.app/v1beta1, Flagger 1.44) as field
 * tables: every property the CRD defines, so that anything else is an
 * unknown field. Objects the CRD leaves open have no table.
 */
#include "reconciler/release/schema.h"

#include <stddef.h>

static const char *const providers[] = { "apisix",
					 "appmesh",
					 "appmesh:v1beta2",
					 "contour",
					 "gatewayapi:v1",
					 "gatewayapi:v1beta1",
					 "gloo",
					 "istio",
					 "knative",
					 "kubernetes",
					 "kuma",
					 "linkerd",
					 "nginx",
					 "osm",
					 "skipper",
					 "smi:v1alpha1",
					 "smi:v1alpha2",
					 "smi:v1alpha3",
					 "traefik",
					 NULL };
static const char *const target_kinds[] = { "DaemonSet", "Deployment",
					    "Service", NULL };
static const char *const scaler_kinds[] = { "HorizontalPodAutoscaler",
					    "ScaledObject", NULL };
static const char *const ingress_kinds[] = { "Ingress", NULL };
static const char *const route_kinds[] = { "ApisixRoute", NULL };
static const char *const upstream_kinds[] = { "Upstream", NULL };
static const char *const webhook_types[] = {
	"",        "confirm-rollout",   "pre-rollout",
	"rollout", "confirm-promotion", "post-rollout",
	"event",   "rollback",          "confirm-traffic-increase",
	NULL
};
static const char *const severities[] = { "", "info", "warn", "error", NULL };
static const char *const same_sites[] = { "Strict", "Lax", "None", NULL };
static const char *const traffic_distributions[] = { "PreferClose",
						     "PreferSameZone",
						     "PreferSameNode", NULL };
static const char *const h2_upgrade[] = { "DEFAULT", "DO_NOT_UPGRADE",
					  "UPGRADE", NULL };
static const char *const lb_simple[] = { "ROUND_ROBIN",   "LEAST_CONN",
					 "RANDOM",        "PASSTHROUGH",
					 "LEAST_REQUEST", NULL };
static const char *const tls_modes[] = { "DISABLE", "SIMPLE", "MUTUAL",
					 "ISTIO_MUTUAL", NULL };
static const char *const metric_providers[] = {
	"prometheus",  "influxdb",   "datadog",  "externalmetrics",
	"stackdriver", "cloudwatch", "newrelic", "graphite",
	"dynatrace",   "keptn",      "splunk",   NULL
};
static const char *const alert_providers[] = { "slack",  "msteams", "discord",
					       "rocket", "gchat",   NULL };

#define END                            \
	{                              \
		NULL, 0, 0, NULL, NULL \
	}
#define STR(k)                             \
	{                                  \
		k, GC_T_STR, 0, NULL, NULL \
	}
#define INT(k)                             \
	{                                  \
		k, GC_T_INT, 0, NULL, NULL \
	}
#define BOOL(k)                             \
	{                                   \
		k, GC_T_BOOL, 0, NULL, NULL \
	}
#define STRARR(k)                             \
	{                                     \
		k, GC_T_STRARR, 0, NULL, NULL \
	}
#define STRMAP(k)                             \
	{                                     \
		k, GC_T_STRMAP, 0, NULL, NULL \
	}
#define OBJ(k, sub)                       \
	{                                 \
		k, GC_T_OBJ, 0, NULL, sub \
	}
#define REQ_STR(k)                                \
	{                                         \
		k, GC_T_STR, GC_F_REQ, NULL, NULL \
	}
#define ENUM(k, e)                      \
	{                               \
		k, GC_T_STR, 0, e, NULL \
	}

/* ---- Canary spec: references ---- */

static const gc_field s_ref_target[] = {
	{ "apiVersion", GC_T_STR, GC_F_REQ, NULL, NULL },
	{ "kind", GC_T_STR, GC_F_REQ, target_kinds, NULL },
	REQ_STR("name"),
	END,
};
static const gc_field s_scaler_replicas[] = {
	{ "minReplicas", GC_T_INT, GC_F_MIN1, NULL, NULL },
	{ "maxReplicas", GC_T_INT, GC_F_MIN1, NULL, NULL },
	END,
};
static const gc_field s_ref_scaler[] = {
	REQ_STR("apiVersion"),
	{ "kind", GC_T_STR, GC_F_REQ, scaler_kinds, NULL },
	REQ_STR("name"),
	STRMAP("primaryScalerQueries"),
	OBJ("primaryScalerReplicas", s_scaler_replicas),
	END,
};
static const gc_field s_ref_ingress[] = {
	REQ_STR("apiVersion"),
	{ "kind", GC_T_STR, GC_F_REQ, ingress_kinds, NULL },
	REQ_STR("name"),
	END,
};
static const gc_field s_ref_route[] = {
	REQ_STR("apiVersion"),
	{ "kind", GC_T_STR, GC_F_REQ, route_kinds, NULL },
	REQ_STR("name"),
	END,
};
static const gc_field s_ref_upstream[] = {
	REQ_STR("apiVersion"),
	{ "kind", GC_T_STR, GC_F_REQ, upstream_kinds, NULL },
	REQ_STR("name"),
	STR("namespace"),
	END,
};

/* ---- Canary spec.service: Istio's match, policies and metadata ---- */

/* Istio StringMatch: one of exact, prefix, regex */
static const gc_field s_string_match[] = {
	STR("exact"),
	STR("prefix"),
	STR("regex"),
	END,
};
static const gc_field s_http_match[] = {
	OBJ("authority", s_string_match),
	STRARR("gateways"),
	{ "headers", GC_T_OBJMAP, 0, NULL, s_string_match },
	BOOL("ignoreUriCase"),
	OBJ("method", s_string_match),
	STR("name"),
	INT("port"),
	{ "queryParams", GC_T_OBJMAP, 0, NULL, s_string_match },
	OBJ("scheme", s_string_match),
	STRMAP("sourceLabels"),
	STR("sourceNamespace"),
	OBJ("uri", s_string_match),
	{ "withoutHeaders", GC_T_OBJMAP, 0, NULL, s_string_match },
	END,
};
static const gc_field s_retries[] = {
	INT("attempts"),
	STR("perTryTimeout"),
	STR("retryOn"),
	END,
};
static const gc_field s_rewrite[] = {
	STR("uri"),
	STR("authority"),
	STR("type"),
	END,
};
static const gc_field s_backend_ref[] = {
	STR("group"),     STR("kind"), REQ_STR("name"),
	STR("namespace"), INT("port"), END,
};
static const gc_field s_mirror[] = {
	{ "backendRef", GC_T_OBJ, GC_F_REQ, NULL, s_backend_ref },
	END,
};
static const gc_field s_header_ops[] = {
	STRMAP("add"),
	STRARR("remove"),
	STRMAP("set"),
	END,
};
static const gc_field s_headers[] = {
	OBJ("request", s_header_ops),
	OBJ("response", s_header_ops),
	END,
};
static const gc_field s_gateway_ref[] = {
	STR("group"),
	STR("kind"),
	REQ_STR("name"),
	STR("namespace"),
	STR("sectionName"),
	INT("port"),
	END,
};
static const gc_field s_cors[] = {
	BOOL("allowCredentials"),
	STRARR("allowHeaders"),
	STRARR("allowMethods"),
	STRARR("allowOrigin"),
	{ "allowOrigins", GC_T_OBJARR, 0, NULL, s_string_match },
	STRARR("exposeHeaders"),
	STR("maxAge"),
	END,
};
static const gc_field s_pool_http[] = {
	ENUM("h2UpgradePolicy", h2_upgrade),
	INT("http1MaxPendingRequests"),
	INT("http2MaxRequests"),
	STR("idleTimeout"),
	INT("maxRequestsPerConnection"),
	INT("maxRetries"),
	END,
};
static const gc_field s_pool[] = {
	OBJ("http", s_pool_http),
	END,
};
static const gc_field s_http_cookie[] = {
	STR("name"),
	STR("path"),
	STR("ttl"),
	END,
};
static const gc_field s_consistent_hash[] = {
	OBJ("httpCookie", s_http_cookie),
	STR("httpHeaderName"),
	STR("httpQueryParameterName"),
	INT("minimumRingSize"),
	BOOL("useSourceIp"),
	END,
};
static const gc_field s_distribute[] = {
	STR("from"),
	OBJ("to", NULL), /* map of localities to weights */
	END,
};
static const gc_field s_failover[] = {
	STR("from"),
	STR("to"),
	END,
};
static const gc_field s_locality[] = {
	{ "distribute", GC_T_OBJARR, 0, NULL, s_distribute },
	BOOL("enabled"),
	{ "failover", GC_T_OBJARR, 0, NULL, s_failover },
	END,
};
static const gc_field s_load_balancer[] = {
	OBJ("consistentHash", s_consistent_hash),
	OBJ("localityLbSetting", s_locality),
	ENUM("simple", lb_simple),
	STR("warmupDurationSecs"),
	END,
};
static const gc_field s_outlier[] = {
	STR("baseEjectionTime"),
	INT("consecutive5xxErrors"),
	INT("consecutiveErrors"),
	INT("consecutiveGatewayErrors"),
	INT("consecutiveLocalOriginFailures"),
	STR("interval"),
	INT("maxEjectionPercent"),
	INT("minHealthPercent"),
	BOOL("splitExternalLocalOriginErrors"),
	END,
};
static const gc_field s_tls[] = {
	STR("caCertificates"),
	STR("clientCertificate"),
	ENUM("mode", tls_modes),
	STR("privateKey"),
	STR("sni"),
	STRARR("subjectAltNames"),
	END,
};
static const gc_field s_traffic_policy[] = {
	OBJ("connectionPool", s_pool),
	OBJ("loadBalancer", s_load_balancer),
	OBJ("outlierDetection", s_outlier),
	OBJ("tls", s_tls),
	END,
};
static const gc_field s_custom_metadata[] = {
	STRMAP("labels"),
	STRMAP("annotations"),
	END,
};
static const gc_field s_unmanaged_metadata[] = {
	STRARR("annotations"),
	STRARR("labels"),
	END,
};
static const gc_field s_service[] = {
	STR("name"),
	{ "port", GC_T_INT, GC_F_REQ, NULL, NULL },
	STR("portName"),
	STR("appProtocol"),
	{ "targetPort", GC_T_INTSTR, 0, NULL, NULL },
	ENUM("trafficDistribution", traffic_distributions),
	BOOL("portDiscovery"),
	BOOL("headless"),
	STR("timeout"),
	STR("backendTimeout"),
	STR("meshName"),
	STRARR("backends"),
	STRARR("hosts"),
	BOOL("delegation"),
	{ "match", GC_T_OBJARR, 0, NULL, s_http_match },
	OBJ("retries", s_retries),
	OBJ("rewrite", s_rewrite),
	{ "mirror", GC_T_OBJARR, 0, NULL, s_mirror },
	OBJ("headers", s_headers),
	STRARR("gateways"),
	{ "gatewayRefs", GC_T_OBJARR, 0, NULL, s_gateway_ref },
	OBJ("corsPolicy", s_cors),
	OBJ("trafficPolicy", s_traffic_policy),
	OBJ("apex", s_custom_metadata),
	OBJ("primary", s_custom_metadata),
	OBJ("canary", s_custom_metadata),
	OBJ("unmanagedMetadata", s_unmanaged_metadata),
	END,
};

/* ---- Canary spec.analysis ---- */

/* analysis.match headers: exact, prefix, suffix or regex */
static const gc_field s_header_match[] = {
	STR("exact"), STR("prefix"), STR("suffix"), STR("regex"), END,
};
static const gc_field s_ab_match[] = {
	{ "headers", GC_T_OBJMAP, 0, NULL, s_header_match },
	{ "queryParams", GC_T_OBJMAP, 0, NULL, s_string_match },
	STRMAP("sourceLabels"),
	END,
};
static const gc_field s_threshold_range[] = {
	{ "min", GC_T_NUM, 0, NULL, NULL },
	{ "max", GC_T_NUM, 0, NULL, NULL },
	END,
};
static const gc_field s_template_ref[] = {
	REQ_STR("name"),
	STR("namespace"),
	END,
};
static const gc_field s_metric[] = {
	REQ_STR("name"),
	{ "interval", GC_T_STR, GC_F_DURATION, NULL, NULL },
	{ "threshold", GC_T_NUM, 0, NULL, NULL },
	OBJ("thresholdRange", s_threshold_range),
	STR("query"),
	OBJ("templateRef", s_template_ref),
	STRMAP("templateVariables"),
	END,
};
static const gc_field s_provider_ref[] = {
	REQ_STR("name"),
	STR("namespace"),
	END,
};
static const gc_field s_alert[] = {
	REQ_STR("name"),
	ENUM("severity", severities),
	{ "providerRef", GC_T_OBJ, GC_F_REQ, NULL, s_provider_ref },
	END,
};
static const gc_field s_webhook[] = {
	REQ_STR("name"),
	REQ_STR("url"),
	ENUM("type", webhook_types),
	{ "timeout", GC_T_STR, GC_F_DURATION, NULL, NULL },
	INT("retries"),
	BOOL("disableTLS"),
	BOOL("muteAlert"),
	STRMAP("metadata"),
	END,
};
static const gc_field s_session_affinity[] = {
	REQ_STR("cookieName"),
	STR("primaryCookieName"),
	STR("domain"),
	BOOL("httpOnly"),
	INT("maxAge"), /* seconds, a number: not a duration */
	BOOL("partitioned"),
	STR("path"),
	ENUM("sameSite", same_sites),
	BOOL("secure"),
	END,
};
static const gc_field s_analysis[] = {
	{ "interval", GC_T_STR, GC_F_DURATION, NULL, NULL },
	INT("iterations"),
	INT("threshold"),
	INT("maxWeight"),
	INT("stepWeight"),
	{ "stepWeights", GC_T_INTARR, 0, NULL, NULL },
	INT("stepWeightPromotion"),
	BOOL("mirror"),
	INT("mirrorWeight"),
	INT("primaryReadyThreshold"),
	INT("canaryReadyThreshold"),
	{ "match", GC_T_OBJARR, 0, NULL, s_ab_match },
	{ "metrics", GC_T_OBJARR, 0, NULL, s_metric },
	{ "webhooks", GC_T_OBJARR, 0, NULL, s_webhook },
	{ "alerts", GC_T_OBJARR, 0, NULL, s_alert },
	OBJ("sessionAffinity", s_session_affinity),
	END,
};
static const gc_field s_spec[] = {
	ENUM("provider", providers),
	STR("metricsServer"),
	INT("progressDeadlineSeconds"),
	{ "targetRef", GC_T_OBJ, GC_F_REQ, NULL, s_ref_target },
	OBJ("autoscalerRef", s_ref_scaler),
	OBJ("ingressRef", s_ref_ingress),
	OBJ("routeRef", s_ref_route),
	OBJ("upstreamRef", s_ref_upstream),
	{ "service", GC_T_OBJ, GC_F_REQ, NULL, s_service },
	BOOL("skipAnalysis"),
	BOOL("revertOnDeletion"),
	BOOL("suspend"),
	{ "analysis", GC_T_OBJ, GC_F_REQ, NULL, s_analysis },
	END,
};

/* the top of every object; status is the controller's, left open */
#define TOP(spec_flags, spec)                                  \
	STR("apiVersion"), STR("kind"), OBJ("metadata", NULL), \
		{ "spec", GC_T_OBJ, spec_flags, NULL, spec },  \
		OBJ("status", NULL), END

const gc_field gc_schema_canary[] = { TOP(GC_F_REQ, s_spec) };

/* ---- MetricTemplate ---- */

static const gc_field s_secret_ref[] = {
	REQ_STR("name"),
	END,
};
static const gc_field s_mt_provider[] = {
	{ "type", GC_T_STR, GC_F_REQ, metric_providers, NULL },
	STR("address"),
	OBJ("headers", NULL), /* header name to a list of values */
	OBJ("secretRef", s_secret_ref),
	STR("region"),
	BOOL("insecureSkipVerify"),
	END,
};
static const gc_field s_mt_spec[] = {
	{ "provider", GC_T_OBJ, GC_F_REQ, NULL, s_mt_provider },
	REQ_STR("query"),
	END,
};

const gc_field gc_schema_metric_template[] = { TOP(GC_F_REQ, s_mt_spec) };

/* ---- AlertProvider ---- */

static const gc_field s_ap_spec[] = {
	{ "type", GC_T_STR, GC_F_REQ, alert_providers, NULL },
	STR("channel"),
	STR("username"),
	STR("address"),
	STR("proxy"),
	OBJ("secretRef", s_secret_ref),
	END,
};

const gc_field gc_schema_alert_provider[] = { TOP(0, s_ap_spec) };
