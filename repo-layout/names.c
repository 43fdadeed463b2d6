/*
 * The Kubernetes name rules (apimachinery's validation.IsDNS1123Subdomain,
 * IsDNS1123Label, IsDNS1035Label), the cluster-scoped kinds, and the file
 * names kustomize reads. Checked before a name becomes a path.
 */
#include "names.h"

#include <string.h>

#include "util/common.h"

const char *const gc_name_kustomization_files[GC_NAME_KUSTOMIZATION_FILES] = {
	"Kustomization", "kustomization.yaml", "kustomization.yml"
};

static const char subdomain_why[] =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
static const char label_why[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
static const char dns1035_why[] =
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One label of [a-z0-9]([-a-z0-9]*[a-z0-9])? of length n. */
static bool label_ok(const char *s, size_t n)
{
	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool gc_name_is_dns1123_label(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n > 63) {
		*why = "must be no more than 63 characters";
		return false;
	}
	if (!label_ok(s, n)) {
		*why = label_why;
		return false;
	}
	return true;
}

bool gc_name_is_dns1035_label(const char *s, const char **why)
{
	if (!gc_name_is_dns1123_label(s, why))
		return false;
	if (s[0] < 'a' || s[0] > 'z') {
		*why = dns1035_why;
		return false;
	}
	return true;
}

bool gc_name_is_dns1123_subdomain(const char *s, const char **why)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n > 253) {
		*why = "must be no more than 253 characters";
		return false;
	}
	*why = subdomain_why;
	if (!n)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!label_ok(p, len))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

bool gc_kind_exists_in_group(const char *api_version, const char *kind)
{
	static const char *const flagger[] = { "Canary", "MetricTemplate",
					       "AlertProvider" };

	if (strncmp(api_version, "flagger.app/", 12) != 0)
		return true;
	for (size_t i = 0; i < sizeof(flagger) / sizeof(flagger[0]); i++)
		if (!strcmp(kind, flagger[i]))
			return true;
	return false;
}

bool gc_kind_is_cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {
		"Namespace",
		"Node",
		"PersistentVolume",
		"ClusterRole",
		"ClusterRoleBinding",
		"CustomResourceDefinition",
		"StorageClass",
		"PriorityClass",
		"IngressClass",
		"RuntimeClass",
		"CSIDriver",
		"CSINode",
		"VolumeAttachment",
		"MutatingWebhookConfiguration",
		"ValidatingWebhookConfiguration",
		"ValidatingAdmissionPolicy",
		"ValidatingAdmissionPolicyBinding",
		"APIService",
		"PodSecurityPolicy",
		"CertificateSigningRequest",
		"FlowSchema",
		"PriorityLevelConfiguration",
		"GatewayClass",
		"ClusterIssuer",
		"VolumeSnapshotClass",
		"ComponentStatus",
	};

	for (size_t i = 0; i < GC_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

bool gc_name_is_kustomization(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < GC_NAME_KUSTOMIZATION_FILES; i++)
		if (!strcmp(base, gc_name_kustomization_files[i]))
			return true;
	return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool gc_name_is_manifest(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* hidden files (.gitlab-ci.yml, .pre-commit-config.yaml) are tooling */
	return base[0] != '.' &&
	       (has_suffix(base, ".yaml") || has_suffix(base, ".yml") ||
		!strcmp(base, "Kustomization"));
}

bool gc_name_is_skipped_dir(const char *name)
{
	return name[0] == '.' || !strcmp(name, "node_modules");
}

bool gc_name_in_skipped_dir(const char *path)
{
	const char *p = path, *slash;

	while ((slash = strchr(p, '/'))) {
		if (p[0] == '.' ||
		    (slash - p == 12 && !strncmp(p, "node_modules", 12)))
			return true;
		p = slash + 1;
	}
	return false;
}
